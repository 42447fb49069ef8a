// The operator console's script: the add-channel form shows only the options of the chosen type.
// Without it every option is shown, each naming the types that take it.
"use strict";
function omnirelayShowChannelOptions() {
  const select = document.querySelector("[data-channel-type]");
  if (!select) return;
  document.querySelectorAll("[data-for-types]").forEach(function (box) {
    const types = box.getAttribute("data-for-types").split(" ");
    box.hidden = types.indexOf(select.value) < 0;
  });
}
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-channel-type]")) omnirelayShowChannelOptions();
});
document.addEventListener("DOMContentLoaded", omnirelayShowChannelOptions);
