"""The production commands' gate: `hireflow web` and `hireflow worker` stop before serving on secrets
anyone can know (`models.secret_checks`), with exit code 2 and one line per problem on stderr."""

from __future__ import annotations

import typer

from models.secret_checks import InsecureSecretsError, require_real_secrets
from models.settings import Settings

EXIT_INSECURE_SECRETS = 2


def exit_unless_real_secrets(settings: Settings) -> None:
    """Return when the secrets are real (or the environment is development); otherwise exit 2."""
    try:
        require_real_secrets(settings)
    except InsecureSecretsError as error:
        typer.echo(error.report(), err=True)
        raise typer.Exit(EXIT_INSECURE_SECRETS) from error
