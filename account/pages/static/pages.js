// Sends the form of a mailed link at once, so a person who opened the
// link need not press its button. Without script the button does it.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
  if (!form.querySelector(".error")) {
    form.requestSubmit();
  }
});
