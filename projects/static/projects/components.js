/* A prompt's components field: the JSON box, and a picker that adds a reusable prompt by
 * name. What the box holds is never thrown away: when it is not a JSON list, the picker
 * says so and leaves it for the person to fix. On the add page, the picker offers the
 * prompts of the project typed in (all of them until one is). */
(function () {
  "use strict";

  function parsed(text) {
    const components = JSON.parse(text.trim() || "[]");
    if (!Array.isArray(components)) throw new Error("it is not a list");
    return components;
  }

  function followProject(choice) {
    const project = document.getElementById("id_project");
    if (!project || project.tagName !== "INPUT") return; // the change page: the project is fixed
    const groups = [...choice.querySelectorAll("optgroup")];
    const show = () => {
      const known = groups.some((group) => group.dataset.project === project.value.trim());
      for (const group of groups) group.hidden = known && group.dataset.project !== project.value.trim();
      if (choice.selectedOptions[0]?.parentElement.hidden) {
        choice.value = groups.find((group) => !group.hidden)?.querySelector("option")?.value ?? "";
      }
    };
    project.addEventListener("input", show);
    project.addEventListener("change", show);
    show();
  }

  function start() {
    for (const picker of document.querySelectorAll(".component-picker")) setUp(picker);
  }

  function setUp(picker) {
    const field = document.getElementById(picker.dataset.field);
    const choice = picker.querySelector(".component-choice");
    const error = picker.querySelector(".component-error");
    const add = picker.querySelector(".component-add");
    if (!field || !choice || !add) return;
    followProject(choice);
    add.addEventListener("click", () => {
      let components;
      try {
        components = parsed(field.value);
      } catch (problem) {
        error.textContent = `The components above are not a JSON list (${problem.message}); ` +
          "fix or empty them, then add.";
        error.hidden = false;
        error.classList.add("errornote"); // (admin's errornote is shown even when hidden)
        field.focus();
        return;
      }
      error.hidden = true;
      error.classList.remove("errornote");
      components.push({ prompt: choice.value });
      field.value = JSON.stringify(components, null, 2);
    });
  }

  // Admin loads a form's scripts in the page's head, before the form.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
