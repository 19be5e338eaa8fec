"""Open the course in JupyterLab: ``python -m coursekit.lab`` (what ``make lab`` runs).

Copies each assignment's student version from ``release/`` into ``my-work/``
(once: work already there is never overwritten), then starts JupyterLab on a
workspace that shows the first lecture and the student's copy of its
assignment side by side.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from jupyterlab_server.workspaces_handler import WorkspacesManager

from coursekit.messages import LANGUAGES, declared_language
from coursekit.start import as_root

# The course folder: the one holding this package.
REPO = Path(__file__).resolve().parent.parent

WORKSPACE = "course"

# A quiet JupyterLab for students: nbgrader's instructor parts and its menu (empty without them)
# are off, so only Validate stays; no "get Jupyter news?" pop-up over the first notebook.
LAB_PLUGINS_OFF = [
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:menu",
    "@jupyterlab/apputils-extension:announcements",
]
LAB_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"codeCellConfig": {"lineWrap": True}}}
SERVER_EXTENSIONS_OFF = [
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.assignment_list",
]



def configure_student(config_dir: Path, root: Path | None = None) -> None:
    """The student's JupyterLab, in a jupyter config directory: only Validate from nbgrader, no news.

    Written as the JSON files jupyter reads, rather than through `jupyter
    server extension disable`, which refuses nbgrader's extensions when it
    fails to validate them. The server file sorts after nbgrader's own
    (nbgrader.json), so it wins. With ``root`` (Binder's postBuild), the
    server also opens the course's workspace, lecture and assignment side by
    side, whatever URL it starts on.
    """
    server = config_dir / "jupyter_server_config.d" / "zz-course-student.json"
    server.parent.mkdir(parents=True, exist_ok=True)
    server.write_text(json.dumps({"ServerApp": {"jpserver_extensions": {name: False for name in SERVER_EXTENSIONS_OFF}},
                                  # Jupyter's own list, and the install's coursekit.egg-info: nothing a student needs.
                                  "ContentsManager": {"hide_globs": HIDDEN}}, indent=1), encoding="utf-8")
    # JupyterLab's own settings: read from jupyter_lab_config.json (the server's files do not reach them).
    settings: dict = {"news_url": None}
    # Defaults for JupyterLab's own settings (a student's choices still win): long code lines wrap rather than run
    # out of sight, since the lecture and the assignment share the screen.
    lab_settings = config_dir / "coursekit-lab-settings"
    lab_settings.mkdir(parents=True, exist_ok=True)
    (lab_settings / "overrides.json").write_text(json.dumps(LAB_SETTINGS, indent=1), encoding="utf-8")
    settings["app_settings_dir"] = str(lab_settings)
    if root is not None:
        settings["default_url"] = f"/lab/workspaces/{workspace_name(release_language(root) or 'en')}"
        settings["workspaces_dir"] = str(workspaces_dir(root))
    labconfig = config_dir / "jupyter_lab_config.json"
    existing = json.loads(labconfig.read_text(encoding="utf-8")) if labconfig.exists() else {}
    existing.setdefault("LabApp", {}).update(settings)
    labconfig.write_text(json.dumps(existing, indent=1), encoding="utf-8")
    page = config_dir / "labconfig" / "page_config.json"
    page.parent.mkdir(parents=True, exist_ok=True)
    config = json.loads(page.read_text(encoding="utf-8")) if page.exists() else {}
    config.setdefault("disabledExtensions", {}).update({plugin: True for plugin in LAB_PLUGINS_OFF})
    page.write_text(json.dumps(config, indent=1), encoding="utf-8")


def jupyter_config_dir(level: str) -> Path:
    """Where a level's configuration lives: the environment's, or the user's."""
    if level == "sys-prefix":
        return Path(sys.prefix) / "etc" / "jupyter"
    from jupyter_core.paths import jupyter_config_dir as user_dir

    return Path(user_dir())




def release_language(root: Path) -> str | None:
    """The language of the student versions when they are an edition in one language (make release EDITION=zh)."""
    first = next(iter(sorted((root / "release").glob("*/*.ipynb"))), None)
    try:
        found = declared_language(json.loads(first.read_text(encoding="utf-8")).get("metadata", {})) if first else None
    except (OSError, ValueError):
        return None
    return found if found in LANGUAGES else None  # a bilingual release opens in English


def copy_assignments(root: Path) -> list[Path]:
    """Copy release/<assignment> to my-work/<assignment> where it is missing.

    A student repository published bilingual also holds the Chinese edition in release/zh/<assignment>
    (instructor/publish.py); it goes to my-work/zh/<assignment>, the copy the Chinese workspace opens.
    """
    pairs = []
    for release in sorted(p for p in (root / "release").iterdir() if p.is_dir()):
        if release.name in LANGUAGES:
            pairs += [(edition, root / "my-work" / release.name / edition.name)
                      for edition in sorted(release.iterdir()) if edition.is_dir()]
        else:
            pairs.append((release, root / "my-work" / release.name))
    copied = []
    for release, target in pairs:
        if not target.exists():
            shutil.copytree(release, target)
            copied.append(target)
    return copied


def assignment_copies(root: Path, language: str = "en") -> Path:
    """The folder of the student's copies in ``language``: my-work/zh when the repository has that edition."""
    edition = root / "my-work" / language
    return edition if language != "en" and edition.is_dir() else root / "my-work"


def first_pair(root: Path, language: str = "en") -> tuple[str, str]:
    """The first lecture and the student's copy of the first assignment, both in ``language`` where there is one."""
    lectures = root / "notebooks" / ("zh" if language == "zh" else "")
    lecture = sorted(lectures.glob("*.ipynb"))[0]
    assignment = sorted(p for p in assignment_copies(root, language).iterdir() if p.is_dir() and p.name not in LANGUAGES)[0]
    notebook = sorted(assignment.glob("*.ipynb"))[0]
    return lecture.relative_to(root).as_posix(), notebook.relative_to(root).as_posix()


def workspace(lecture: str, assignment: str) -> dict:
    """A JupyterLab workspace: lecture on the left, assignment on the right."""
    left, right = f"notebook:{lecture}", f"notebook:{assignment}"
    return {
        "data": {
            left: {"data": {"path": lecture, "factory": "Notebook"}},
            right: {"data": {"path": assignment, "factory": "Notebook"}},
            "layout-restorer:data": {
                "main": {
                    "dock": {
                        "type": "split-area",
                        "orientation": "horizontal",
                        "sizes": [0.5, 0.5],
                        "children": [
                            {"type": "tab-area", "currentIndex": 0, "widgets": [left]},
                            {"type": "tab-area", "currentIndex": 0, "widgets": [right]},
                        ],
                    },
                    "current": left,
                },
                # The file browser folded into its icon on the left edge: the two notebooks get the width (on a
                # 1280-pixel screen, 600 pixels each instead of 470).
                "left": {"collapsed": True, "visible": True, "widgets": ["filebrowser"]},  # a "current" would unfold it
            },
        },
        "metadata": {"id": WORKSPACE},
    }


def workspaces_dir(root: Path) -> Path:
    return root / ".jupyter" / "workspaces"


def workspace_name(language: str) -> str:
    """course (English lectures) or course-zh (the Chinese edition, 中文版)."""
    return WORKSPACE if language == "en" else f"{WORKSPACE}-{language}"


HIDDEN = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.egg-info"]


def stamp_language_info(paths) -> list[Path]:
    """Give each notebook the language_info of this Python's kernel; the notebooks it changed.

    JupyterLab writes the kernel's language_info (its version too) into a notebook as soon as the kernel
    starts: a notebook saved with another one shows the unsaved-changes dot on opening, with no edit.
    """
    from ipykernel.ipkernel import IPythonKernel

    info = json.loads(json.dumps(IPythonKernel.language_info))
    changed = []
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("metadata", {}).get("language_info") != info:
            data.setdefault("metadata", {})["language_info"] = info
            path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
            changed.append(path)
    return changed


def prepare(root: Path) -> Path:
    """Copy the assignments and write a workspace per edition; return the workspaces folder."""
    for target in copy_assignments(root):
        print(f"copied {target.relative_to(root)} from release/ (your answers go there)")
    if not (root / "source").exists():  # the student repository: its notebooks open clean in this Python
        stamp_language_info([path for folder in ("notebooks", "my-work") for path in (root / folder).rglob("*.ipynb")
                             if ".ipynb_checkpoints" not in path.parts])
    folder = workspaces_dir(root)
    # JupyterLab's own manager names the file as the server will look for it.
    manager = WorkspacesManager(str(folder))
    for language in LANGUAGES:
        if language == "en" or (root / "notebooks" / language).is_dir():
            data = workspace(*first_pair(root, language))
            data["metadata"]["id"] = workspace_name(language)
            manager.save(workspace_name(language), json.dumps(data))
    return folder


def lab_command(root: Path, folder: Path, *extra: str, language: str = "en") -> list[str]:
    return [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={folder}",
        # LabApp's, not ServerApp's: the lab extension sets the server's own, and the URL printed.
        f"--LabApp.default_url=/lab/workspaces/{workspace_name(language)}",
        # Containers and many cloud shells run everything as root, where Jupyter refuses to start without it.
        *(["--allow-root"] if as_root() else []),
        *extra,
    ]


def main() -> None:
    if sys.argv[1:] == ["--prepare"]:  # Binder's postBuild: copies and workspace only
        prepare(REPO)
        return
    if sys.argv[1:2] == ["--configure-student"]:  # Binder's postBuild, or by hand: LEVEL is sys-prefix or user
        configure_student(jupyter_config_dir(sys.argv[2]), REPO)
        return
    if not (REPO / "source").exists():  # the student repository: Validate only, set up once
        marker = REPO / ".jupyter" / "student-configured"
        if not marker.exists():
            configure_student(jupyter_config_dir("sys-prefix"), REPO)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    args = sys.argv[1:]
    language = release_language(REPO) or "en"  # the Chinese edition of the assignments opens the Chinese lectures
    for arg in list(args):  # --language=zh: the Chinese lectures, and the grading toolkit's messages in Chinese
        if arg.startswith("--language="):
            language = arg.split("=", 1)[1]
            args.remove(arg)
    if language not in LANGUAGES:
        sys.exit(f"--language={language}: choose one of {', '.join(LANGUAGES)}")
    os.environ["COURSEKIT_LANGUAGE"] = language  # every kernel the server starts inherits it
    folder = prepare(REPO)
    command = lab_command(REPO, folder, *args, language=language)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
