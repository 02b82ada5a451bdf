/* qtm's few browser-side functions: the language toggle keeps its choice in a cookie for a year (pages and visits)
 * and reloads the page in the other language. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  qtm: {
    toggleLanguage: function (clicks) {
      var button = document.getElementById("language-toggle");
      var next = button && button.getAttribute("data-lang") === "en" ? "zh" : "en";
      document.cookie = "qtm_lang=" + next + "; path=/; max-age=31536000; SameSite=Lax";
      window.location.reload();
      return window.dash_clientside.no_update;
    },
  },
});
