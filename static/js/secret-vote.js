// The secret vote page: encrypt and prove on this device, then cast; or spoil a ballot to
// check it. Loaded as a module file (no inline script, the CSP stays). The page's form holds
// the vote's URLs and the CSRF token in data- attributes.
import { auditRecord, checkAudit, checkElection, encryptBallot } from "./secret-ballot.js";

const form = document.getElementById("secret-ballot");
const out = document.getElementById("secret-status");
const auditBox = document.getElementById("secret-audit");

function say(text, kind = "info") {
  out.textContent = text;
  out.className = `flash flash-${kind}`;
}

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function chosen() {
  return Array.from(form.querySelectorAll("input[name=choice]:checked"), (i) => i.value);
}

async function prepare() {
  const [spec, election, me] = await Promise.all([
    getJson(form.dataset.specUrl), getJson(form.dataset.electionUrl), getJson(form.dataset.meUrl),
  ]);
  checkElection(election, spec.id);
  return { spec, election, ballot: await encryptBallot(spec, election.key, me.token, chosen()) };
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const action = event.submitter ? event.submitter.value : "cast";
  try {
    say(form.dataset.working);
    const { spec, election, ballot } = await prepare();
    if (action === "audit") {
      const record = auditRecord(ballot);
      checkAudit(spec, election.key, record);
      auditBox.hidden = false;
      document.getElementById("secret-audit-record").textContent = JSON.stringify(record, null, 2);
      const blob = new Blob([JSON.stringify(record)], { type: "application/json" });
      document.getElementById("secret-audit-save").href = URL.createObjectURL(blob);
      say(form.dataset.spoiled, "success");
      return;
    }
    const response = await fetch(form.dataset.castUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf },
      body: JSON.stringify(ballot.cast),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.status);
    window.location.assign(form.dataset.receiptUrl.replace("TRACKER", body.tracker));
  } catch (error) {
    say(`${form.dataset.failed} ${error.message}`, "error");
  }
});
form.hidden = false;
document.getElementById("secret-needs-js").hidden = true;
