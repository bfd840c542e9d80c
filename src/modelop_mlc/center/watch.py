"""Watch a folder for new labelled data and add it to the models it belongs to.

Layout: `<folder>/<stored model name>/<role>/<file>.csv|.json`, where `<role>` is `training`
(or `train`, `training_data`) for TRAINING_DATA and `test` (or `testing`, `test_data`) for
TEST_DATA. Each new or changed file becomes that model's asset of that role (replacing the
previous one), and `LocalCenter.add_asset` sends `Signals_model_data_changed`, which starts
"Model refresh and retraining". Files already seen are remembered in the manager's database, so a
restart does not add them twice.

```python
watcher = DataFolderWatcher(manager.center, "/data/landing")
watcher.scan()        # call it from your scheduler, or run `mlc run --watch /data/landing`
```
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from modelop_mlc.center.local import LocalCenter
from modelop_mlc.domain import Asset, AssetRole
from modelop_mlc.errors import ConfigurationError

__all__ = ["DataFolderWatcher", "LandedFile"]

log = logging.getLogger("modelop_mlc.center.watch")

_ROLES = {
    "train": AssetRole.TRAINING_DATA,
    "training": AssetRole.TRAINING_DATA,
    "training_data": AssetRole.TRAINING_DATA,
    "test": AssetRole.TEST_DATA,
    "testing": AssetRole.TEST_DATA,
    "test_data": AssetRole.TEST_DATA,
}
_FORMATS = {".csv": "CSV", ".json": "JSON", ".jsonl": "JSON"}
_SEEN = "watchedFile"


@dataclass(frozen=True)
class LandedFile:
    """A file the watcher added as an asset.

    Attributes:
        path: The file.
        model_id: The stored model it was added to.
        role: TRAINING_DATA or TEST_DATA.
    """

    path: Path
    model_id: str
    role: AssetRole


class DataFolderWatcher:
    """Adds files landing in a folder to their models as labelled data.

    Args:
        center: The embedded center (its database remembers the files seen).
        folder: The folder to watch.

    Raises:
        ConfigurationError: If `folder` is not a directory.
    """

    def __init__(self, center: LocalCenter, folder: str | Path) -> None:
        """Watch `folder` for `center`."""
        self.center = center
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise ConfigurationError(f"cannot watch {self.folder}: it is not a directory")

    def __repr__(self) -> str:
        """Describe the watcher."""
        return f"DataFolderWatcher({str(self.folder)!r})"

    def scan(self) -> list[LandedFile]:
        """Add every new or changed file to its model; return what was added.

        Files in folders that name no registered model or no known role are skipped with a
        warning naming the file and the expected layout.
        """
        landed: list[LandedFile] = []
        for path in sorted(self.folder.glob("*/*/*")):
            if not path.is_file() or path.suffix.lower() not in _FORMATS:
                continue
            found = self._add(path)
            if found is not None:
                landed.append(found)
        return landed

    def _add(self, path: Path) -> LandedFile | None:
        relative = path.relative_to(self.folder)
        model_name, role_dir = relative.parts[0], relative.parts[1]
        stat = path.stat()
        fingerprint = f"{stat.st_size}:{stat.st_mtime_ns}"
        seen = self.center.store.get_document(_SEEN, str(relative))
        if seen is not None and seen.get("fingerprint") == fingerprint:
            return None
        role = _ROLES.get(role_dir.lower())
        models = self.center.find_stored_models(name=model_name)
        if role is None or not models:
            log.warning(
                "skipping %s: expected <model name>/<training|test>/<file>, and '%s' %s",
                relative,
                model_name if not models else role_dir,
                "is no registered model" if not models else "is no known role",
            )
            return None
        asset = Asset(
            name=path.name,
            filename=path.name,
            asset_role=role,
            file_format=_FORMATS[path.suffix.lower()],
            file_content=path.read_text(),
        )
        self.center.add_asset(models[0].id, asset, replace_role=True)
        with self.center.store.transaction() as tx:
            tx.put_document(
                _SEEN,
                str(relative),
                {"fingerprint": fingerprint, "modelId": models[0].id},
                self.center.clock.now().isoformat(),
            )
        log.info("added %s to %s as %s", relative, model_name, role.value)
        return LandedFile(path, models[0].id, role)
