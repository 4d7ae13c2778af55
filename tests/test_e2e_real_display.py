"""The real-display tier: the app in a real window on a real X server (Xvfb, QT_QPA_PLATFORM=xcb).

Every other test runs offscreen, where Qt has no RHI and no window manager; the Live view crashed
on every X11 desktop while all of them passed (ADR 0006). These run the app where users run it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from PIL import Image
from real_display import python_command

REPO = Path(__file__).resolve().parent.parent
WEIGHTS = REPO.parent / "shared" / "weights"
JOURNEY_STEPS = 10
FATAL_SIGNS = ("Traceback", "Fatal Python error", "Segmentation fault", "QThread: Destroyed")


def keras_home_with_default_weights(folder: Path) -> Path:
    """The default backbone's genuine weights where Keras looks, when ../shared has them (the
    journey then trains what a user trains; without them it trains the small CNN)."""
    from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec

    models = folder / "models"
    models.mkdir(parents=True, exist_ok=True)
    name = get_spec(DEFAULT_BACKBONE).weights_file
    if (WEIGHTS / name).is_file() and not (models / name).exists():
        (models / name).symlink_to(WEIGHTS / name)
    return folder


def run_app(x_server, home: Path, *args: str, timeout: int = 900, **env: str):
    keras_home = keras_home_with_default_weights(home / "keras")
    return subprocess.run(
        python_command("-m", "desktop_app", *args),
        env=x_server.env(home, KERAS_HOME=str(keras_home), **env),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def colours(png: Path) -> int:
    with Image.open(png) as image:
        small = image.convert("RGB").resize((image.width // 4, image.height // 4), Image.NEAREST)
        return len(set(small.getdata()))


def test_a_users_whole_journey_passes_in_the_real_window(x_server, tmp_path):
    shots = tmp_path / "shots"
    result = run_app(x_server, tmp_path, "self-test", "--gui", "--shots", str(shots))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for sign in FATAL_SIGNS:
        assert sign not in output, output
    lines = [line for line in result.stdout.splitlines() if line.startswith(("ok", "FAIL", "skip"))]
    assert len(lines) == JOURNEY_STEPS and all(line.startswith("ok") for line in lines), output
    assert "self-test --gui passed on xcb" in result.stdout
    pngs = sorted(shots.glob("*.png"))
    assert [p.stem for p in pngs] == [
        "1-welcome",
        "2-label",
        "3-train",
        "4-live",
        "5-live-heatmap",
        "6-live-folder",
        "7-under-the-hood",
        "8-under-the-hood-map",
    ]
    for png in pngs:  # what the X server showed, read back from it
        assert colours(png) > 50, png.name


def run_tests_on(server, home: Path, *test_files: str, **env: str):
    return subprocess.run(
        python_command(
            "-m", "pytest", "-q", "-p", "no:cacheprovider",
            *(str(REPO / "tests" / name) for name in test_files),
        ),
        env=server.env(home, **env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip


def test_the_live_and_window_tests_pass_on_xcb(x_server, tmp_path):
    """The Live view's and the window's own tests, again on the real display."""
    result = run_tests_on(x_server, tmp_path, "test_ui_live.py", "test_ui_window.py")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in result.stdout and "Fatal Python error" not in output


def test_the_under_the_hood_tests_pass_on_xcb(x_server, tmp_path):
    """Under the hood's own tests (its panels, the replay slider, Live followed) on the real
    display: it draws with pyqtgraph and QPainter, and follows video frames."""
    result = run_tests_on(
        x_server,
        tmp_path,
        "test_ui_under_the_hood.py",
        "test_ui_hood_panels.py",
        "test_ui_hood_votes_step.py",
        "test_ui_map_replay.py",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in result.stdout and "Fatal Python error" not in output


def test_the_label_next_health_and_live_update_tests_pass_on_xcb(x_server, tmp_path):
    """#13's panels and buttons (label next, accept all, health, duplicates, the live update) on
    the real display."""
    result = run_tests_on(
        x_server, tmp_path, "test_ui_label_next.py", "test_ui_health.py", "test_ui_live_update.py"
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in result.stdout and "Fatal Python error" not in output


def test_every_view_works_at_twice_the_scale(hidpi_x_server, tmp_path):
    """At QT_SCALE_FACTOR=2, as on a HiDPI laptop: the window's views and screenshots, and the
    Train view's results with the relabel buttons of its cards on screen (they were cut off)."""
    result = run_tests_on(
        hidpi_x_server,
        tmp_path,
        "test_ui_window.py",
        "test_ui_train.py::test_train_shows_curves_progress_results_history_and_fixes_a_mislabeled_photo",
        QT_SCALE_FACTOR="2",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in result.stdout and "Fatal Python error" not in output


def test_self_test_gui_without_a_display_says_so():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    result = subprocess.run(
        python_command("-m", "desktop_app", "self-test", "--gui"),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: self-test --gui needs a display (DISPLAY or WAYLAND_DISPLAY)"
    ]
