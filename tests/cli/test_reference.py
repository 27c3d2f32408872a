"""Every command and parameter is documented, and docs/cli.md says what the commands say."""

import typer.main

from hark.audio import audio_readers
from hark.cli.app import app
from hark.cli.reference import command_reference
from hark.detect import detectors
from hark.embed import clusterers
from hark.gui.double_click import double_click_plugins
from hark.models import architectures
from hark.train.augment import augmentations
from tests.conftest import REPO_ROOT


def test_docs_cli_md_is_generated_from_the_commands():
    written = (REPO_ROOT / "docs" / "cli.md").read_text()
    assert written == command_reference(), "docs/cli.md is stale: python -m hark.cli.reference > docs/cli.md"


def test_every_command_has_help_with_an_example_and_every_parameter_a_description():
    commands = typer.main.get_command(app).commands
    assert {"detect", "info", "convert", "demo"} <= set(commands)
    for name, command in commands.items():
        assert command.help, name
        assert "Example" in (command.help or "") + (command.epilog or ""), f"hark {name} --help has no example"
        for param in command.params:
            assert getattr(param, "help", None), f"hark {name}: {param.name} has no help"


def test_every_plugin_parameter_is_described_and_in_the_docs():
    docs = "".join((REPO_ROOT / "docs" / name).read_text() for name in ("detect.md", "audio.md", "models.md", "training-data.md", "clusters.md", "gui.md"))
    for registry in (detectors, audio_readers, architectures, augmentations, clusterers, double_click_plugins):
        for name, plugin in registry.items():
            assert f"`{name}`" in docs or f'"{name}"' in docs, f"{registry.kind} {name} is not in the docs"
            for field_name, field in plugin.Params.model_fields.items():
                assert field.description, f"{registry.kind} {name}: {field_name} has no description"
                documented = f"`{field_name}`" in docs or f"`{field_name}=" in docs
                assert documented, f"{registry.kind} {name}: {field_name} is not in the docs"
