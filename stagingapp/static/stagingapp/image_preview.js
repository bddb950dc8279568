// Image inputs: the thumbnail under the URL follows what the editor types.
"use strict";
document.addEventListener("input", function (event) {
  var input = event.target;
  if (!input.classList || !input.classList.contains("image-url-input")) return;
  var preview = input.parentElement.querySelector("img.image-preview");
  if (!preview) return;
  var url = input.value.trim();
  var usable = /^https?:\/\/\S+$/.test(url);
  preview.style.display = usable ? "" : "none";
  if (usable) preview.src = url; else preview.removeAttribute("src");
});
