"""`python -m ballots.trustee` over real HTTP: three trustees run the whole ceremony from the
command line against the live app, an owner casts with `python -m ballots.secret.client`, and
after close the trustees' decryption shares seal the vote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.accounts.services import issue_api_token
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.proposals.models import Proposal
from app.secret.models import SecretElection
from tests.web.secret_helpers import close_now, open_secret_vote

ROOT = Path(__file__).resolve().parents[2]


def _cli(server: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OT_API_TOKEN=token, OT_TRUSTEE_PASSPHRASE="a long trustee phrase")
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def test_trustees_run_the_ceremony_with_the_command_line(
    app: Any, db_session: Any, live_server: str, tmp_path: Path
) -> None:
    client = app.test_client()
    vote = open_secret_vote(client)
    tokens = [issue_api_token(t.user, "trustee laptop") for t in vote.trustees]
    voter_token = issue_api_token(vote.author, "phone")
    db.session.commit()
    db.session.remove()
    for step in ("keygen", "deal", "receive"):
        for i, token in enumerate(tokens):
            done = _cli(live_server, token, "ballots.trustee", step, "--server", live_server,
                        "--proposal", vote.id, "--dir", str(tmp_path / f"t{i}"))
            assert done.returncode == 0, done.stderr
    assert db.session.get(SecretElection, vote.id).state == "ready"
    db.session.remove()  # SQLite: the live server needs the write lock this read holds
    # The last to confirm settled the key and has its share; the others keep their state
    # (a complaint could still have needed an answer) until they run receive again.
    assert (tmp_path / "t2" / f"{vote.id}.share").exists()
    assert (tmp_path / "t0" / f"{vote.id}.state").exists()
    for i, token in enumerate(tokens[:2]):
        done = _cli(live_server, token, "ballots.trustee", "receive", "--server", live_server,
                    "--proposal", vote.id, "--dir", str(tmp_path / f"t{i}"))
        assert done.returncode == 0, done.stderr
        assert "key share written" in done.stdout
    assert not (tmp_path / "t0" / f"{vote.id}.state").exists()
    assert (tmp_path / "t0" / f"{vote.id}.share").exists()

    spec = client.get(f"/api/secret/{vote.id}/proposal.json").data
    election = client.get(f"/api/secret/{vote.id}/election.json").data
    (tmp_path / "proposal.json").write_bytes(spec)
    (tmp_path / "election.json").write_bytes(election)
    me = client.get(f"/api/proposals/{vote.id}/my-weight",
                    headers={"Authorization": f"Bearer {voter_token}"}).get_json()
    made = _cli(live_server, voter_token, "ballots.secret.client", str(tmp_path / "proposal.json"),
                str(tmp_path / "election.json"), me["token"], "yes")
    assert made.returncode == 0, made.stderr
    cast = json.loads(made.stdout)["cast"]
    db.session.remove()
    response = client.post(f"/api/secret/{vote.id}/ballots", json=cast,
                           headers={"Authorization": f"Bearer {voter_token}"})
    assert response.status_code == 201, response.get_json()

    closes = close_now(vote.id)
    close_and_seal(vote.id, now=closes + timedelta(seconds=1))
    db.session.commit()
    db.session.remove()
    for i, token in enumerate(tokens[:2]):
        done = _cli(live_server, token, "ballots.trustee", "decrypt", "--server", live_server,
                    "--proposal", vote.id, "--dir", str(tmp_path / f"t{i}"))
        assert done.returncode == 0, done.stderr
    assert db.session.get(Proposal, vote.id).state == "sealed"
    result = client.get(f"/results/{vote.id}/result.json").get_json()
    assert result["format"] == 2 and result["tally"]["totals"]["yes"] > 0
