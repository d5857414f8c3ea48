/* The lend form: the typed borrower and the manager's approval are only for someone not on
 * the key's lists; hide them while an owner or authorised person is picked. Without script
 * everything stays visible and the server decides the same way. */
(function () {
  "use strict";

  var form = document.getElementById("lend-form");
  var select = document.getElementById("borrower");
  if (!form || !select) {
    return;
  }
  var other = form.getAttribute("data-other");
  var parts = [document.getElementById("typed-borrower"),
               document.getElementById("manager-override")];

  var name = document.getElementById("borrower_name");

  function update() {
    // a name typed without a pick (the form sent back with errors) stays in view
    var typed = select.value === other || (select.value === "" && name && name.value !== "");
    parts.forEach(function (part) {
      if (part) {
        part.classList.toggle("d-none", !typed);
      }
    });
  }

  select.addEventListener("change", update);
  update();
})();
