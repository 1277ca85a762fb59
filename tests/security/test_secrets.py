"""Issue 10, "secrets are real": production commands refuse public secrets; the local stack generates its own.

The CLI is run as a person runs it (`.venv/bin/hireflow`, a clean environment, a scratch working
directory so no `.env` is read). A command that is still running after a few seconds has started
serving on the public secrets: that is the failure these tests catch.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import SecretStr

from models.settings import Settings
from starters.devstack import DevStackConfig
from starters.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
HIREFLOW = Path(sys.executable).with_name("hireflow")
SIGNING = "HIREFLOW_SIGNING_SECRET"
WEBHOOK = "HIREFLOW_GREENHOUSE_WEBHOOK_SECRET"
REAL = "Zq3v8Kc1pX0rT7mW2nB5yH9dL4sF6gJ-aE_uQ1oVxRkNtYbMiC"  # 50 random-looking characters
OTHER_REAL = "Rk7Tq2Wz9Lm4Xc8Vb1Nf6Hs3Jd5Gp0Ya-e_uIoKtPwQrMnBvC"
# A command still running after this many seconds has started serving (a loaded CI imports slowly).
STARTED_AFTER = 20.0


def run_cli(argv: list[str], tmp_path: Path, **hireflow_env: str) -> subprocess.CompletedProcess[str]:
    """`hireflow <argv>` with only PATH, PYTHONPATH and the given HIREFLOW_* variables; killed if it starts."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),  # this checkout's code, whichever one the venv was installed from
        "HOME": str(tmp_path),
        "HIREFLOW_STATE_DIR": str(tmp_path / "state"),
        "HIREFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # nothing listens: nothing to disturb
        "HIREFLOW_LOG_FORMAT": "json",
        **hireflow_env,
    }
    proc = subprocess.Popen(
        [str(HIREFLOW), *argv],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=STARTED_AFTER)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"`hireflow {' '.join(argv)}` started on these secrets instead of refusing:\n{out}{err}")
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def web(tmp_path: Path) -> list[str]:
    return ["web", "--port", str(free_port())]


COMMANDS = {"web": web, "worker": lambda _: ["worker"]}


@pytest.fixture(params=sorted(COMMANDS))
def command(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    argv: list[str] = COMMANDS[request.param](tmp_path)
    return argv


def assert_refused(result: subprocess.CompletedProcess[str], *names: str) -> None:
    assert result.returncode == 2, (
        f"did not refuse its secrets (exit {result.returncode}): {result.stderr[-1500:]}"
    )
    for name in names:
        assert name in result.stderr, result.stderr
    assert "secrets.token_urlsafe" in result.stderr  # and how to make a real one


# ----------------------------------------------------------------------------------- production CLI


def test_production_command_refuses_the_public_defaults(command: list[str], tmp_path: Path) -> None:
    result = run_cli(command, tmp_path)
    assert_refused(result, SIGNING, WEBHOOK)
    assert "dev-signing-secret-change-me" not in result.stderr + result.stdout


def test_production_command_refuses_empty_secrets(command: list[str], tmp_path: Path) -> None:
    result = run_cli(command, tmp_path, **{SIGNING: "", WEBHOOK: REAL})
    assert_refused(result, SIGNING)
    assert "empty" in result.stderr and WEBHOOK not in result.stderr


def test_production_command_refuses_a_short_secret_without_printing_it(
    command: list[str], tmp_path: Path
) -> None:
    short = "s3cr3t-but-short-9x"
    result = run_cli(command, tmp_path, **{SIGNING: REAL, WEBHOOK: short})
    assert_refused(result, WEBHOOK)
    assert "too short" in result.stderr and SIGNING not in result.stderr
    assert short not in result.stdout + result.stderr


def test_production_command_refuses_the_default_webhook_secret_alone(
    command: list[str], tmp_path: Path
) -> None:
    result = run_cli(command, tmp_path, **{SIGNING: REAL})
    assert_refused(result, WEBHOOK)
    assert SIGNING not in result.stderr


def test_production_command_refuses_one_secret_for_both_purposes(command: list[str], tmp_path: Path) -> None:
    result = run_cli(command, tmp_path, **{SIGNING: REAL, WEBHOOK: REAL})
    assert_refused(result, SIGNING, WEBHOOK)
    assert "same value" in result.stderr


def test_web_rule_commands_need_no_secrets(tmp_path: Path) -> None:
    """Only serving is gated: managing auto-schedule rules on the store signs and verifies nothing."""
    result = run_cli(["web", "rule", "list"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no rules" in result.stdout


# ----------------------------------------------------------------------------------- the check itself


def test_real_secrets_pass_and_development_refuses_nothing() -> None:
    from models.secret_checks import problems, require_real_secrets

    real = Settings(
        _env_file=None, signing_secret=SecretStr(REAL), greenhouse_webhook_secret=SecretStr(OTHER_REAL)
    )
    assert problems(real) == []
    require_real_secrets(real)  # does not raise
    defaults = Settings(_env_file=None, environment="development")
    assert len(problems(defaults)) == 2  # still named, but a development process may run on them
    require_real_secrets(defaults)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("   ", "empty"),
        ("sandbox-secret", "public default"),
        ("please-change-me-before-going-live-0123456789", "placeholder"),
        ("a" * 64, "too few characters"),
        ("Kp2Qw9Lm4Xc8", "too short"),
        ("é" * 20, "too few characters"),  # 40 bytes, yet one character
    ],
)
def test_each_weakness_is_named(value: str, reason: str) -> None:
    from models.secret_checks import InsecureSecretsError, require_real_secrets

    settings = Settings(
        _env_file=None, signing_secret=SecretStr(value), greenhouse_webhook_secret=SecretStr(REAL)
    )
    with pytest.raises(InsecureSecretsError) as raised:
        require_real_secrets(settings)
    (line,) = raised.value.problems
    assert line.startswith(SIGNING) and reason in line
    assert value.strip() == "" or value not in raised.value.report()


# ----------------------------------------------------------------------------------- the local stack


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("HIREFLOW_"):
            monkeypatch.delenv(name)
    yield


def test_dev_stack_settings_have_generated_secrets_that_persist(tmp_path: Path, clean_env: None) -> None:
    first = DevStackConfig(state_dir=tmp_path / "stack").settings(Settings(_env_file=None))
    again = DevStackConfig(state_dir=tmp_path / "stack").settings(Settings(_env_file=None))
    other = DevStackConfig(state_dir=tmp_path / "other").settings(Settings(_env_file=None))

    assert first.environment == "development" and first.is_development
    assert first.signing_secret.get_secret_value() != "dev-signing-secret-change-me"
    assert first.greenhouse_webhook_secret.get_secret_value() != "sandbox-webhook-secret"
    for field in ("signing_secret", "greenhouse_webhook_secret"):
        mine = getattr(first, field).get_secret_value()
        assert getattr(again, field).get_secret_value() == mine  # a restarted stack accepts its own links
        assert getattr(other, field).get_secret_value() != mine  # each state directory its own
    secrets_file = tmp_path / "stack" / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600

    from models.secret_checks import problems

    assert problems(first) == []  # generated, long, distinct: fit even for production


def test_dev_stack_keeps_explicit_secrets(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SIGNING, REAL)
    settings = DevStackConfig(state_dir=tmp_path).settings()
    assert settings.signing_secret.get_secret_value() == REAL  # the environment wins
    assert settings.greenhouse_webhook_secret.get_secret_value() != "sandbox-webhook-secret"
    keyword = Settings(_env_file=None, greenhouse_webhook_secret=SecretStr(OTHER_REAL))
    assert DevStackConfig(state_dir=tmp_path).settings(
        keyword
    ).greenhouse_webhook_secret.get_secret_value() == (OTHER_REAL)


def test_a_damaged_secrets_file_is_named_and_kept(tmp_path: Path, clean_env: None) -> None:
    from starters.local_secrets import LocalSecretsError

    (tmp_path / "secrets.json").write_text("{not json")
    with pytest.raises(LocalSecretsError, match=r"secrets\.json"):
        DevStackConfig(state_dir=tmp_path).settings(Settings(_env_file=None))
    assert (tmp_path / "secrets.json").read_text() == "{not json"  # nothing lost


def test_a_widened_or_older_secrets_file_is_tightened_and_completed(tmp_path: Path, clean_env: None) -> None:
    """Someone ran `chmod 644` and an older file lacks the webhook secret: mode back to 0600, the signing
    secret kept (its links still verify), the missing one added."""
    path = tmp_path / "secrets.json"
    path.write_text(f'{{"signing_secret": "{REAL}"}}')
    path.chmod(0o644)
    settings = DevStackConfig(state_dir=tmp_path).settings(Settings(_env_file=None))
    assert settings.signing_secret.get_secret_value() == REAL
    generated = settings.greenhouse_webhook_secret.get_secret_value()
    assert generated not in (REAL, "sandbox-webhook-secret") and len(generated) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = DevStackConfig(state_dir=tmp_path).settings(Settings(_env_file=None))
    assert again.greenhouse_webhook_secret.get_secret_value() == generated


@pytest.mark.integration
async def test_dev_stack_sandbox_signs_webhooks_with_the_stack_secret(
    tmp_path: Path, clean_env: None
) -> None:
    """The sandbox `hireflow dev` starts signs with the web app's generated secret, not the public one."""
    from starters.devstack import greenhouse_sandbox_process

    config = DevStackConfig(state_dir=tmp_path, greenhouse_port=free_port(), candidates=20)
    settings = config.settings(Settings(_env_file=None))
    secret = settings.greenhouse_webhook_secret.get_secret_value()
    received: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
        lowered = {k.lower(): v for k, v in headers.items()}
        body = await reader.readexactly(int(lowered["content-length"]))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
        await received.put((body, lowered["signature"]))

    hooks = await asyncio.start_server(handle, "127.0.0.1", 0)
    hook_url = f"http://127.0.0.1:{hooks.sockets[0].getsockname()[1]}/hooks"
    process = greenhouse_sandbox_process(config, settings.greenhouse_webhook_secret)
    assert secret not in " ".join(process.argv)  # not visible in `ps` or the run records
    async with hooks, process, httpx.AsyncClient(base_url=settings.greenhouse_base_url, timeout=30) as http:
        assert (await http.post("/_sandbox/webhooks", json={"url": hook_url})).status_code == 200
        token = await http.post(
            "/token", data={"grant_type": "client_credentials"}, auth=("hireflow-sandbox", "sandbox-secret")
        )
        http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        apps = await http.get("/v3/applications", params={"status": "active", "stage_name": "Phone Screen"})
        app = apps.json()[0]
        moved = await http.post(
            f"/v3/applications/{app['id']}/move", json={"from_stage_id": app["job_interview_stage_id"]}
        )
        assert moved.status_code == 204, moved.text
        body, signature = await asyncio.wait_for(received.get(), 20)
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert signature == f"sha256 {expected}"


# ----------------------------------------------------------------------------------- deployment


def test_compose_runs_web_and_worker_apart_and_requires_both_secrets() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["hireflow-worker"]["command"][:2] == ["hireflow", "worker"]
    assert services["hireflow-web"]["command"][:2] == ["hireflow", "web"]
    environment = compose["x-hireflow-env"]
    for name in (SIGNING, WEBHOOK):
        assert environment[name].startswith(f"${{{name}:?"), f"compose must refuse to start without {name}"
        for service in ("hireflow-worker", "hireflow-web"):
            assert services[service]["environment"][name] == environment[name]
