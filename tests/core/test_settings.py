import pytest

from empathica.errors import SettingsError
from empathica.settings import Settings, describe
from tests.conftest import REPO


def test_defaults_then_file_then_environment_then_overrides(tmp_path, monkeypatch):
    config = tmp_path / "e.toml"
    config.write_text('currency = "CNY"\nseed = 3\nredact_pii = false\n', encoding="utf-8")
    assert Settings.load(config_file=tmp_path / "missing.toml").currency == "EUR"
    s = Settings.load(config_file=config)
    assert (s.currency, s.seed, s.redact_pii) == ("CNY", 3, False)
    monkeypatch.setenv("EMPATHICA_SEED", "11")
    monkeypatch.setenv("EMPATHICA_REDACT_PII", "yes")
    s = Settings.load(config_file=config)
    assert (s.seed, s.redact_pii) == (11, True)
    assert Settings.load(config_file=config, seed=5).seed == 5


def test_bad_values_and_unknown_names_are_reported(tmp_path, monkeypatch):
    with pytest.raises(SettingsError, match="unknown setting.*colour"):
        Settings.load(config_file=tmp_path / "x.toml", colour="red")
    monkeypatch.setenv("EMPATHICA_SEED", "many")
    with pytest.raises(SettingsError, match="seed: 'many' is not a whole number"):
        Settings.load(config_file=tmp_path / "x.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = = 3", encoding="utf-8")
    monkeypatch.delenv("EMPATHICA_SEED")
    with pytest.raises(SettingsError, match="bad.toml: not valid TOML"):
        Settings.load(config_file=bad)


def test_cue_override_languages_are_a_checked_list(tmp_path):
    assert Settings.load(config_file=tmp_path / "x.toml").cue_override_languages == ("de",)
    assert Settings.load(config_file=tmp_path / "x.toml", text_cue_override=" DE, zh ,de").cue_override_languages == ("de", "zh")
    assert Settings.load(config_file=tmp_path / "x.toml", text_cue_override="").cue_override_languages == ()
    listed = tmp_path / "l.toml"
    listed.write_text('text_cue_override = ["de", "zh"]\n', encoding="utf-8")
    assert Settings.load(config_file=listed).cue_override_languages == ("de", "zh")
    with pytest.raises(SettingsError, match="text_cue_override: fr is not one of de, en, zh"):
        Settings.load(config_file=tmp_path / "x.toml", text_cue_override="de,fr")


def test_every_setting_is_documented():
    doc = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    for name, _default, help_text in describe():
        assert help_text
        assert f"`{name}`" in doc, f"docs/settings.md does not document {name}"


def test_figure_languages_are_a_checked_list_read_from_the_environment(tmp_path, monkeypatch):
    none = tmp_path / "x.toml"
    monkeypatch.delenv("EMPATHICA_REPORT_FIGURE_LANGUAGES", raising=False)  # tests/conftest.py sets it to en
    monkeypatch.delenv("EMPATHICA_FIGURE_LANGUAGES", raising=False)
    assert Settings.load(config_file=none).figure_languages == ("en", "de", "zh")
    assert Settings.load(config_file=none, report_figure_languages=" ZH,de ").figure_languages == ("en", "de", "zh")
    monkeypatch.setenv("EMPATHICA_FIGURE_LANGUAGES", "de")  # the variable's name before it was a setting
    assert Settings.load(config_file=none).figure_languages == ("en", "de")
    monkeypatch.setenv("EMPATHICA_REPORT_FIGURE_LANGUAGES", "zh")  # the setting's own variable wins
    assert Settings.load(config_file=none).figure_languages == ("en", "zh")
    with pytest.raises(SettingsError, match="report_figure_languages: fr is not one of en, de, zh"):
        Settings.load(config_file=none, report_figure_languages="de,fr")
    with pytest.raises(SettingsError, match="report_figure_dpi: 5 is not a resolution from 20 to 600"):
        Settings.load(config_file=none, report_figure_dpi=5)


def test_a_written_setting_is_read_back_with_the_file_s_others_and_quotes_kept(tmp_path):
    from empathica.settings import write_setting

    config = tmp_path / "e.toml"
    config.write_text('currency = "CNY"\ntext_cue_override = ["de", "zh"]\n', encoding="utf-8")
    write_setting(config, "report_title", 'Bericht "Süd"\n中文 \\ end')
    write_setting(config, "redact_pii", False)
    s = Settings.load(config_file=config)
    assert (s.currency, s.text_cue_override, s.report_title, s.redact_pii) == ("CNY", "de,zh", 'Bericht "Süd"\n中文 \\ end', False)
    assert [p.name for p in tmp_path.iterdir()] == ["e.toml"]  # no temporary file left beside it
