// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".menu-toggle");
  const menus = document.getElementById("site-menus");
  if (toggle && menus) {
    toggle.hidden = false;
    document.documentElement.classList.add("has-menu-toggle");
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      menus.classList.toggle("is-open", !open);
    });
  }
  // Move focus to a form's error summary so screen reader users hear it first.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
});
