// The GraphQL query page (/graphiql): sends the query with this browser's session (or the API key
// typed in) to /graphql and shows the answer. Served from /static/ like every asset: no CDN.
"use strict";
(function () {
  const form = document.getElementById("query-form");
  if (!form) return;
  const out = document.getElementById("answer");
  const state = document.getElementById("answer-state");
  const examples = document.getElementById("examples");
  const query = document.getElementById("query");
  const variables = document.getElementById("variables");
  const key = document.getElementById("api-key");

  examples.addEventListener("change", function () {
    const chosen = examples.options[examples.selectedIndex];
    if (chosen && chosen.dataset.query) {
      query.value = chosen.dataset.query;
      variables.value = chosen.dataset.variables || "";
    }
  });

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    let vars = {};
    if (variables.value.trim() !== "") {
      try {
        vars = JSON.parse(variables.value);
      } catch (e) {
        state.textContent = "変数が JSON として読めません。";
        return;
      }
    }
    const headers = { "content-type": "application/json", "accept": "application/json" };
    if (key.value.trim() !== "") headers["authorization"] = "Bearer " + key.value.trim();
    state.textContent = "実行中です…";
    out.textContent = "";
    const started = performance.now();
    try {
      const res = await fetch("/graphql", {
        method: "POST",
        credentials: "same-origin",
        headers: headers,
        body: JSON.stringify({ query: query.value, variables: vars }),
      });
      const text = await res.text();
      let shown = text;
      try {
        shown = JSON.stringify(JSON.parse(text), null, 2);
      } catch (e) { /* not JSON: show as is */ }
      out.textContent = shown;
      const ms = Math.round(performance.now() - started);
      state.textContent = "HTTP " + res.status + "（" + ms + " ms）";
    } catch (e) {
      state.textContent = "サーバーに接続できませんでした。";
    }
  });
})();
