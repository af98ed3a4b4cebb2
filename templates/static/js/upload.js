// Upload progress: sends the upload form with XMLHttpRequest so a <progress> bar can follow
// it. Without this script the form posts as usual and the server's answer is the same.
const enhanceUploadForm = () => {
  const form = document.querySelector("[data-upload-form]");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  const box = form.querySelector("[data-upload-progress]");
  const bar = box.querySelector("progress");
  const text = form.querySelector("[data-upload-progress-text]");
  const input = form.querySelector("input[type=file]");
  const button = form.querySelector("button[type=submit]");

  const show = (percent, message) => {
    box.hidden = false;
    bar.value = percent;
    bar.textContent = `${percent}%`;
    text.textContent = message || `${percent}% uploaded`;
  };

  const replacePage = (html) => {
    // The server answered with the form again (with its error summary): show that.
    const answer = new DOMParser().parseFromString(html, "text/html");
    const next = answer.querySelector("main");
    const main = document.querySelector("main");
    if (!next || !main) {
      // A bare refusal from in front of Django (say, the size limit): show its words.
      const words = answer.body && answer.body.textContent.trim();
      if (words) show(0, words);
      return Boolean(words);
    }
    main.innerHTML = next.innerHTML;
    const summary = main.querySelector("[data-error-summary]");
    if (summary) summary.focus();
    enhanceUploadForm();
    return true;
  };

  form.addEventListener("submit", (event) => {
    const file = input && input.files && input.files[0];
    const limit = Number(input && input.dataset.maxBytes);
    if (file && limit && file.size > limit) {
      event.preventDefault();
      show(0, `This file is too large: files can be up to ${Math.round(limit / 1048576)} MB.`);
      return;
    }
    if (!file) return; // let the server explain what is missing
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.upload.addEventListener("progress", (progress) => {
      if (progress.lengthComputable) {
        show(Math.round((progress.loaded / progress.total) * 100));
      }
    });
    request.upload.addEventListener("load", () => show(100, "Uploaded. Checking the file…"));
    request.addEventListener("load", () => {
      const next = request.getResponseHeader("X-Upload-Redirect");
      if (request.status === 200 && next) {
        window.location.assign(next);
        return;
      }
      button.disabled = false;
      if (!replacePage(request.responseText)) {
        show(0, "The upload did not work. Please try again.");
      }
    });
    request.addEventListener("error", () => {
      button.disabled = false;
      show(0, "The upload stopped: check your connection and try again.");
    });
    button.disabled = true;
    show(0);
    request.send(new FormData(form));
  });
};

document.addEventListener("DOMContentLoaded", enhanceUploadForm);
