/* 助企 liaison pages: tiny, no framework, no other origin. Works without it (plain forms), better with it. */
(function () {
  "use strict";

  // Forms: one submission at a time (slow phones, double taps); confirm irreversible actions.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    form.setAttribute("aria-busy", "true");
  });
  window.addEventListener("pageshow", function () {  // back/forward cache: forms usable again
    var busy = document.querySelectorAll("form[aria-busy=true]");
    for (var i = 0; i < busy.length; i++) { busy[i].removeAttribute("aria-busy"); }
  });

  // DingTalk H5 免登: dd.requestAuthCode → POST /m/session/dingtalk (a plain form post, so the answer is a page).
  var box = document.getElementById("dd-login");
  if (!box) { return; }
  var corpId = box.getAttribute("data-corp-id");
  var clientId = box.getAttribute("data-client-id");
  var inDingTalk = /DingTalk/i.test(navigator.userAgent);
  var status = document.getElementById("dd-status");

  function say(text) { status.textContent = text; status.classList.remove("hidden"); }
  function outside() { var el = document.getElementById("outside"); if (el) { el.classList.remove("hidden"); } }
  function fail(text) { say(text); outside(); }
  function post(code) {
    var form = document.getElementById("dd-form");
    form.elements.code.value = code;
    form.submit();
  }
  function request(dd) {
    var options = {
      corpId: corpId, clientId: clientId,
      onSuccess: function (r) { var c = r && (r.code || r.authCode); if (c) { post(c); } else { fail("钉钉未返回登录码。"); } },
      onFail: function () { fail("钉钉免登失败，请稍后重试或使用下方方式登录。"); }
    };
    if (typeof dd.requestAuthCode === "function") {
      dd.requestAuthCode(options);
    } else if (dd.runtime && dd.runtime.permission && dd.runtime.permission.requestAuthCode) {
      options.success = options.onSuccess; options.fail = options.onFail;
      dd.runtime.permission.requestAuthCode(options);
    } else {
      fail("当前钉钉版本不支持免登。");
    }
  }
  function withDd(next) {
    if (window.dd) { next(window.dd); return; }
    // DingTalk's JSAPI from our own static path (never a CDN); absent → explain the other ways in.
    var script = document.createElement("script");
    script.src = box.getAttribute("data-jsapi");
    script.onload = function () { if (window.dd) { next(window.dd); } else { fail("未能加载钉钉组件。"); } };
    script.onerror = function () { fail("未能加载钉钉组件。"); };
    document.head.appendChild(script);
  }

  if (!corpId || !(window.dd || inDingTalk)) { outside(); return; }
  say("正在通过钉钉登录…");
  withDd(function (dd) {
    if (typeof dd.ready === "function") { dd.ready(function () { request(dd); }); } else { request(dd); }
    if (typeof dd.error === "function") { dd.error(function () { fail("钉钉免登失败，请稍后重试。"); }); }
  });
}());
