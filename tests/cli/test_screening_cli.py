"""``secassist screening dispose`` names the screening by its id or by its subject."""

from __future__ import annotations

from tests.support import run_cli
from tests.vetting.screening.conftest import sanctions


def _screen(env: dict[str, str], subject: str) -> str:
    proc = run_cli(env, "screening", "screen", "Iran Aircraft Manufacturing Industries", "--subject", subject)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.strip()


def test_dispose_by_subject(app_env: dict[str, str]) -> None:
    sdn = str(sanctions("ofac_sdn_sample_2025"))
    assert run_cli(app_env, "screening", "load", sdn, "--published", "2025-05-16").returncode == 0
    assert _screen(app_env, "supplier check 1") == "screening 1: potential_match"
    assert _screen(app_env, "supplier check 2") == "screening 2: potential_match"
    assert _screen(app_env, "supplier check 2") == "screening 3: potential_match"

    done = run_cli(
        app_env, "screening", "dispose", "supplier check 1", "us_ofac_sdn", "11195", "--as", "true_match"
    )
    assert (done.returncode, done.stdout.strip()) == (0, "screening 1: match"), done.stderr
    twice = run_cli(
        app_env, "screening", "dispose", "supplier check 2", "us_ofac_sdn", "11195", "--as", "unsure"
    )
    assert (twice.returncode, twice.stderr.strip()) == (
        65,
        "error [validation.failed]: screening: subject 'supplier check 2' names screenings 2, 3; give the id",
    )
    none = run_cli(
        app_env, "screening", "dispose", "supplier check 9", "us_ofac_sdn", "11195", "--as", "unsure"
    )
    assert none.returncode == 66
    assert "screening: none with id or subject 'supplier check 9'" in none.stderr
    by_id = run_cli(app_env, "screening", "dispose", "3", "us_ofac_sdn", "11195", "--as", "false_positive")
    assert by_id.returncode == 0, by_id.stderr
    assert by_id.stdout.startswith("screening 3: ")
