/* qtm's few browser-side functions (no inline script or handler anywhere: the pages' policy allows neither).
 * The language toggle keeps its choice in a cookie for a year (pages and visits) and reloads the page in the other
 * language: through a clientside callback on the dashboard's pages, through a click listener on the login page
 * (a plain page, which loads this file too). */
(function () {
  function switchLanguage(toggle) {
    var next = toggle && toggle.getAttribute("data-lang") === "en" ? "zh" : "en";
    document.cookie = "qtm_lang=" + next + "; path=/; max-age=31536000; SameSite=Lax";
    window.location.reload();
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    qtm: {
      toggleLanguage: function (clicks) {
        switchLanguage(document.getElementById("language-toggle"));
        return window.dash_clientside.no_update;
      },
    },
  });

  // The login page's toggle is a link (the dashboard's is a button, which its callback serves).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-action='language']");
    if (!link) {
      return;
    }
    event.preventDefault();
    switchLanguage(link);
  });
})();
