"""The example extractor: it finds every block, with the right line, marker and commands."""

from __future__ import annotations

from pathlib import Path

from docblocks import Block, blocks

PAGE = """\
# Title

<!-- docs: syntax-only needs AWS -->
```bash
aloft lambda deploy
```

<!-- docs: syntax-only this marker belongs to no block -->
A paragraph in between.

```python
print("runs")
```

- an item

  <!-- acceptance: something else -->
  <!-- docs: syntax-only indented, under a list item -->
  ```sh
  echo indented
  ```

```console
$ aloft k8s render \\
    --out k8s/
apiVersion: v1
$ aloft k8s check k8s/
1 file checked
```
"""


def _page(tmp_path: Path) -> list[Block]:
    path = tmp_path / "probe.md"
    path.write_text(PAGE, encoding="utf-8")
    return blocks(path)


def test_blocks_carry_their_line_language_and_marker(tmp_path: Path) -> None:
    found = _page(tmp_path)
    summary = [(b.line, b.lang, b.syntax_only) for b in found]
    assert summary == [
        (4, "bash", "needs AWS"),
        (11, "python", None),  # the marker above the paragraph does not reach it
        (19, "sh", "indented, under a list item"),
        (23, "console", None),
    ]
    assert found[0].id == f"{tmp_path / 'probe.md'}:4"


def test_indented_blocks_lose_their_indent(tmp_path: Path) -> None:
    assert _page(tmp_path)[2].code == "echo indented\n"


def test_console_blocks_run_only_their_prompted_commands(tmp_path: Path) -> None:
    console = _page(tmp_path)[3]
    script = console.shell_script()
    assert script == "aloft k8s render \\\n    --out k8s/\naloft k8s check k8s/\n"
