"""The configuration layer: the shared Settings base, one site file, its errors and the CLI."""

from __future__ import annotations

import dataclasses
import json
import pickle
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from safecomment import DEFAULT_POLICY, ConfigError, ConfigTypeError, Policy, Rules, ValidationRules
from safecomment.cli import main
from safecomment.config import SiteConfig, SpamSettings, effective, load
from safecomment.settings import MAX_FILE_BYTES, Settings
from safecomment.validate import DEFAULT_RULES

SITE = """\
[policy]
tags = ["a", "b", "p"]
autolink = false
link_rel = false
max_depth = 64

[policy.attributes]
a = ["href"]

[validation]
require_name_email = false
max_content_bytes = 4000

[moderation]
max_links = 4
disallowed_keys = ["viagra"]
flood_seconds = 30
hold_threshold = 0.4

[spam]
model = "models/site.joblib"
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str | Path, input: bytes | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_a_site_file_loads_into_one_typed_value(tmp_path: Path) -> None:
    site = load(write(tmp_path / "site.toml", SITE))
    assert site.policy == Policy(
        tags={"a", "b", "p"}, attributes={"a": {"href"}}, autolink=False, link_rel=None,
        max_depth=64,
    )
    validation = ValidationRules(require_name_email=False, max_content_bytes=4000)
    assert site.validation == validation
    assert site.moderation == Rules(
        max_links=4, disallowed_keys=("viagra",), flood_seconds=30.0, hold_threshold=0.4,
        validation=validation,
    )
    # a relative model path is the config file's neighbour, wherever the program runs
    assert site.spam == SpamSettings(model=tmp_path / "models" / "site.joblib")


def test_missing_tables_and_keys_keep_their_defaults(tmp_path: Path) -> None:
    assert load(write(tmp_path / "empty.toml", "")) == SiteConfig()
    site = load(write(tmp_path / "some.toml", "[moderation]\nmax_links = 0\n"))
    assert site == SiteConfig(moderation=Rules(max_links=0))
    assert site.policy is DEFAULT_POLICY and site.validation == DEFAULT_RULES
    assert site.spam.model is None  # the bundled model


def test_moderation_can_skip_the_form_checks(tmp_path: Path) -> None:
    site = load(write(tmp_path / "s.toml", "[moderation]\nvalidation = false\n"))
    assert site.moderation.validation is None and site.validation == DEFAULT_RULES
    assert tomllib.loads(site.to_toml())["moderation"]["validation"] is False


def test_to_toml_loads_back_to_an_equal_value(tmp_path: Path) -> None:
    for site in (
        SiteConfig(),
        load(write(tmp_path / "site.toml", SITE)),
        SiteConfig(
            moderation=Rules(validation=None), policy=DEFAULT_POLICY.replace(max_length=None)
        ),
    ):
        text = site.to_toml()
        assert load(write(tmp_path / "dumped.toml", text)) == site
        assert SiteConfig.from_dict(tomllib.loads(text)) == site


_NAMES = st.text(alphabet="abcdefgh", min_size=1, max_size=6)
_KEYS = st.lists(st.text(alphabet="abc xyz@.", max_size=8), max_size=4)
_SAFE_TAGS = st.sets(st.sampled_from(["a", "b", "i", "p", "em", "code", "img", "span"]), max_size=6)
_LIMITS = st.none() | st.integers(min_value=0, max_value=2**40)
_FRACTIONS = st.none() | st.floats(min_value=0, max_value=1)


@st.composite
def site_configs(draw: st.DrawFn) -> SiteConfig:
    tags = draw(_SAFE_TAGS)
    attributes = {tag: draw(st.sets(st.sampled_from(["title", "href", "lang"]))) for tag in tags}
    policy = Policy(
        tags=tags, attributes=attributes, drop_content=draw(st.sets(st.sampled_from(["script"]))),
        protocols=draw(st.sets(_NAMES, max_size=3)), link_rel=draw(st.none() | st.just("ugc")),
        autolink=draw(st.booleans()), max_length=draw(_LIMITS), max_depth=draw(_LIMITS),
        on_disallowed=draw(st.sampled_from(["strip", "escape"])),
    )
    validation = ValidationRules(
        require_name_email=draw(st.booleans()),
        max_name_bytes=draw(st.integers(min_value=0, max_value=10**6)),
        min_content_length=draw(st.integers(min_value=0, max_value=9)),
    )
    hold, spam = sorted([draw(_FRACTIONS) or 0.0, draw(_FRACTIONS) or 1.0])
    rules = Rules(
        max_links=draw(st.integers(min_value=0, max_value=99)),
        moderation_keys=tuple(draw(_KEYS)), disallowed_keys=tuple(draw(_KEYS)),
        duplicates=draw(st.booleans()),
        flood_seconds=draw(st.floats(min_value=0, max_value=1e9)),
        hold_threshold=draw(st.none() | st.just(hold)),
        spam_threshold=draw(st.none() | st.just(spam)),
        validation=draw(st.sampled_from([validation, None])),
    )
    model = draw(st.none() | st.just(Path("/srv/models/site.joblib")))
    return SiteConfig(policy, validation, rules, SpamSettings(model=model))


@hypothesis_settings(max_examples=60, deadline=None)
@given(site_configs())
def test_any_configuration_survives_the_toml_round_trip(site: SiteConfig) -> None:
    loaded = SiteConfig.from_dict(tomllib.loads(site.to_toml()))
    assert loaded == site
    assert hash(loaded) == hash(site)


@pytest.mark.parametrize(
    ("text", "table", "key", "says"),
    [
        ("[polcy]\ntags = []\n", "polcy", None, "unknown table"),
        ("policy = 3\n", "policy", None, "must be a table"),
        ("[policy]\nautolinks = true\n", "policy", "autolinks", "unknown key"),
        ('[policy]\nautolink = "no"\n', "policy", "autolink", "true or false"),
        ('[policy]\ntags = "abc"\n', "policy", "tags", "not a single str"),
        ('[policy]\nattributes = {a = "href"}\n', "policy", "attributes", "not a single str"),
        ("[policy]\nmax_depth = true\n", "policy", "max_depth", "integer"),
        ("[policy]\nmax_depth = -1\n", "policy", "max_depth", ">= 0"),
        ('[policy]\non_disallowed = "drop"\n', "policy", "on_disallowed", "'strip', 'escape'"),
        ('[policy]\ntags = ["b", "iframe"]\nattributes = {}\n', "policy", None, "<iframe>"),
        ("[policy]\nlink_rel = true\n", "policy", "link_rel", "string"),
        ("[validation]\nmax_name_bytes = 1.5\n", "validation", "max_name_bytes", "integer"),
        ("[validation]\nrequire_name_email = 1\n", "validation", "require_name_email", "true"),
        ("[moderation]\nflood_seconds = nan\n", "moderation", "flood_seconds", "finite"),
        ("[moderation]\nflood_seconds = -inf\n", "moderation", "flood_seconds", "finite"),
        ("[moderation]\nflood_seconds = -1\n", "moderation", "flood_seconds", ">= 0"),
        ("[moderation]\nhold_threshold = 1.5\n", "moderation", "hold_threshold", "0 to 1"),
        ('[moderation]\nspam_threshold = "high"\n', "moderation", "spam_threshold", "number"),
        ("[moderation]\nmax_links = 2.0\n", "moderation", "max_links", "integer"),
        ('[moderation]\nvalidation = "yes"\n', "moderation", "validation", "true"),
        ("[moderation]\nvalidation = {max_url_bytes = 9}\n", "moderation", "validation", "true"),
        ("[moderation]\nmoderation_keys = [1, 2]\n", "moderation", "moderation_keys", "holding"),
        ('[moderation]\ndisallowed_keys = ["a\\u0000b"]\n', "moderation", "disallowed_keys",
         "control"),
        ("[moderation]\nhold_threshold = 0.9\nspam_threshold = 0.5\n", "moderation",
         "hold_threshold", "above"),
        ("[spam]\nmodel = 3\n", "spam", "model", "path"),
        ("[spam]\nsha = 3\n", "spam", "sha", "unknown key"),
        ("[moderation]\ncreated = 1979-05-27\n", "moderation", "created", "unknown key"),
        ("[moderation]\nmax_links = 1979-05-27\n", "moderation", "max_links", "integer"),
    ],
)
def test_a_bad_site_file_names_the_file_the_table_and_the_key(
    tmp_path: Path, text: str, table: str, key: str | None, says: str
) -> None:
    path = write(tmp_path / "site.toml", text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    error = caught.value
    assert (error.file, error.table, error.key) == (str(path), table, key)
    assert says in error.reason
    assert str(error).startswith(f"{path}: [{table}]")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"[policy\n", "line 1"),
        (b"[policy]\ntags = [\n", "end of document"),
        (b'[policy]\nlink_rel = "caf\xe9"\n', "not UTF-8"),
        (b"x" * (MAX_FILE_BYTES + 1), "larger than"),
    ],
)
def test_an_unreadable_site_file_is_a_config_error(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=says) as caught:
        load(path)
    assert caught.value.file == str(path)
    for missing in (tmp_path / "nope.toml", tmp_path):
        with pytest.raises(ConfigError) as caught:
            load(missing)
        assert caught.value.file == str(missing)


def test_python_callers_get_the_same_strict_checks() -> None:
    with pytest.raises(TypeError, match="flood_seconds"):
        Rules(flood_seconds="15")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="flood_seconds: must be a finite number"):
        Rules(flood_seconds=float("nan"))
    with pytest.raises(TypeError, match="duplicates: must be true or false"):
        Rules(duplicates=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hold_threshold"):
        Rules(hold_threshold=True)
    with pytest.raises(TypeError, match="max_url_bytes"):
        ValidationRules(max_url_bytes=200.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="validation: must be ValidationRules"):
        Rules(validation={"max_url_bytes": 9})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="model"):
        SpamSettings(model=3)  # type: ignore[arg-type]
    # a wrong type is both a TypeError and a ConfigError (a ValueError), so either catch works
    with pytest.raises(ConfigTypeError) as caught:
        Rules(max_links="2")  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError) and caught.value.key == "max_links"
    # numbers are stored as their annotated type
    assert Rules(flood_seconds=60).flood_seconds == 60.0
    assert isinstance(Rules(flood_seconds=60).flood_seconds, float)


def test_rules_and_validation_rules_dump_and_load_on_their_own(tmp_path: Path) -> None:
    rules = Rules(max_links=0, moderation_keys=("casino",), hold_threshold=0.3, validation=None)
    assert Rules.from_toml(write(tmp_path / "rules.toml", rules.to_toml())) == rules
    checks = ValidationRules(min_content_length=0)
    assert ValidationRules.from_toml(write(tmp_path / "v.toml", checks.to_toml())) == checks
    assert rules.to_dict()["hold_threshold"] == 0.3 and rules.to_dict()["validation"] is False
    with pytest.raises(ConfigError) as caught:
        Rules.from_toml(write(tmp_path / "bad.toml", "[validation]\nmax_bytes = 1\n"))
    assert (caught.value.table, caught.value.key) == ("validation", "max_bytes")


def test_the_site_value_keeps_moderation_and_validation_in_step() -> None:
    stricter = ValidationRules(max_url_bytes=50)
    with pytest.raises(ConfigError, match="moderation"):
        SiteConfig(moderation=Rules(validation=stricter))
    site = SiteConfig().replace(validation=stricter)
    assert site.moderation.validation == stricter
    skipping = SiteConfig(moderation=Rules(validation=None)).replace(validation=stricter)
    assert skipping.moderation.validation is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        site.validation = DEFAULT_RULES  # type: ignore[misc]


def test_effective_lays_single_purpose_files_over_the_site_file(tmp_path: Path) -> None:
    site_file = write(tmp_path / "site.toml", SITE)
    policy = write(tmp_path / "policy.toml", 'tags = ["b"]\nattributes = {}\n')
    rules = write(tmp_path / "rules.toml", "max_links = 9\n[validation]\nmax_url_bytes = 7\n")
    site = effective(site_file, policy=policy, rules=rules, model=tmp_path / "m.joblib")
    assert site.policy == Policy(tags={"b"}, attributes={})
    assert site.moderation.max_links == 9
    assert site.validation == site.moderation.validation == ValidationRules(max_url_bytes=7)
    assert site.spam.model == tmp_path / "m.joblib"
    assert effective() == SiteConfig()


def test_a_rules_file_without_validation_keeps_the_site_files(tmp_path: Path) -> None:
    site_file = write(tmp_path / "site.toml", "[validation]\nmax_name_bytes = 50\n")
    rules = write(tmp_path / "rules.toml", "max_links = 5\n")
    site = effective(site_file, rules=rules)
    assert site.moderation.max_links == 5
    assert site.validation == site.moderation.validation == ValidationRules(max_name_bytes=50)
    off = write(tmp_path / "off.toml", "validation = false\n")
    assert effective(site_file, rules=off).moderation.validation is None
    bad = write(tmp_path / "bad.toml", "max_links = -1\n")
    with pytest.raises(ConfigError, match="bad.toml"):
        effective(site_file, rules=bad)


def test_config_errors_pickle_and_can_be_located_from_outside() -> None:
    error = ConfigError("must be >= 0", key="max_links")
    located = error.within("moderation", file="site.toml")
    assert str(located) == "site.toml: [moderation] max_links: must be >= 0"
    assert str(located.within("outer")) == "site.toml: [outer.moderation] max_links: must be >= 0"
    copy = pickle.loads(pickle.dumps(ConfigTypeError("bad", key="k", table="t", file="f")))
    assert type(copy) is ConfigTypeError and str(copy) == "f: [t] k: bad"


def test_a_setting_with_an_annotation_that_toml_cannot_carry_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Odd(Settings):
        maybe: bool | None = None

    with pytest.raises(TypeError, match="cannot be annotated"):
        Odd()


def test_cli_config_prints_toml_that_loads_back(tmp_path: Path) -> None:
    site_file = write(tmp_path / "site.toml", SITE)
    printed = cli("config", "--config", site_file)
    assert printed.exit_code == 0, printed.output
    dumped = write(tmp_path / "dumped.toml", printed.stdout)
    assert load(dumped) == load(site_file)
    assert cli("config", "--config", dumped).stdout == printed.stdout
    defaults = cli("config")
    assert defaults.exit_code == 0 and SiteConfig.from_dict(tomllib.loads(defaults.stdout)) == (
        SiteConfig()
    )


def test_cli_moderate_and_sanitize_take_a_site_file(tmp_path: Path) -> None:
    site_file = write(
        tmp_path / "site.toml",
        '[policy]\ntags = ["b"]\nattributes = {}\n[moderation]\ndisallowed_keys = ["casino"]\n',
    )
    page = tmp_path / "c.html"
    page.write_text("<b>bold</b> <i>italic</i>", encoding="utf-8")
    cleaned = cli("sanitize", page, "--config", site_file)
    assert cleaned.exit_code == 0 and cleaned.stdout == "<b>bold</b> italic\n"
    export = tmp_path / "in.jsonl"
    export.write_text(
        '{"id": "1", "author_name": "Ann", "author_email": "ann@example.org", '
        '"content": "Play casino games <i>now</i>"}\n',
        encoding="utf-8",
    )
    moderated = cli("moderate", export, "--config", site_file, "--format", "jsonl")
    assert moderated.exit_code in (0, 1), moderated.output  # trash: exit code is the CLI's
    row = json.loads(moderated.stdout.splitlines()[0])
    assert row["action"] == "trash" and "disallowed_key" in row["reasons"]
    assert "<i>" not in row["html"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[policy]\nautolink = "no"\n', "[policy] autolink"),
        ("[moderation]\nflood_seconds = nan\n", "[moderation] flood_seconds"),
        ("[moderaton]\n", "[moderaton]"),
        ("[spam]\nmodel = \"missing.joblib\"\n", "missing.joblib"),
    ],
)
def test_cli_refuses_a_bad_site_file_with_exit_2_and_no_traceback(
    tmp_path: Path, text: str, named: str
) -> None:
    site_file = write(tmp_path / "site.toml", text)
    export = tmp_path / "in.jsonl"
    export.write_text('{"id": "1", "content": "hi"}\n', encoding="utf-8")
    for args in (("moderate", export), ("sanitize",), ("config",)):
        if "missing" in text and args[0] != "moderate":
            continue  # only moderate loads the model
        result = cli(*args, "--config", site_file, input=b"hi")
        assert result.exit_code == 2, (args, result.output)
        assert named in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("option", "text", "named"),
    [
        ("--policy", 'autolink = "no"\n', "autolink: must be true or false"),
        ("--policy", 'attributes = {a = "href"}\n', "attributes: 'a' must be a list"),
        ("--policy", 'tags = ["b", "script"]\nattributes = {}\ndrop_content = []\n',
         "this policy could publish running script"),
        ("--rules", "flood_seconds = nan\n", "flood_seconds: must be a finite number"),
        ("--rules", "max_links = true\n", "max_links: must be an integer"),
    ],
)
def test_cli_refuses_a_bad_policy_or_rules_file_with_exit_2(
    tmp_path: Path, option: str, text: str, named: str
) -> None:
    bad = write(tmp_path / "bad.toml", text)
    commands = [("moderate", write(tmp_path / "in.jsonl", '{"id": "1", "content": "hi"}\n'))]
    if option == "--policy":
        commands += [("sanitize",), ("policy",)]
    for args in commands:
        result = cli(*args, option, bad, input=b"hi")
        assert result.exit_code == 2, (args, result.output)
        assert f"{bad}: {named}" in result.stderr and "Traceback" not in result.output


def test_a_setting_cannot_bypass_the_field_checks_with_its_own_post_init() -> None:
    with pytest.raises(TypeError, match="_check"):

        class Bypass(Settings):
            def __post_init__(self) -> None:
                """Would replace the inherited field checks."""
