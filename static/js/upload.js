/*
 * Upload page and evaluation status page (creators/views/upload.py).
 *
 * Upload page: the form is sent with XMLHttpRequest so that the upload's progress can be shown
 * (<progress id="upload-progress"> and a percentage in an aria-live region); the server answers
 * JSON ({video, evaluation, status_url, evaluation_url}, or 400 with {code, detail, errors}).
 * Then the evaluation is polled at GET /api/v1/evaluations/<id> (session auth) and the stage list
 * is updated in place until it is done or failed, all without reloading the page.
 *
 * Status page: the same polling replaces the <noscript> meta refresh.
 *
 * Without this script both pages still work: the form posts normally and the status page reloads.
 * The size check here only saves a pointless upload; the server's check is the one that counts.
 */
(function () {
  "use strict";

  var STAGES = ["queued", "fetching", "transcribing", "scoring", "done"];
  var FINAL = { done: true, failed: true };
  var MAX_POLL_ERRORS = 6;

  function byId(id) {
    return document.getElementById(id);
  }

  function mib(bytes) {
    // As the server writes sizes: "200 MiB", "1.5 MiB", "31.4 KiB".
    if (bytes >= 1048576) {
      return (bytes / 1048576).toFixed(1).replace(/\.0$/, "") + " MiB";
    }
    return (bytes / 1024).toFixed(1).replace(/\.0$/, "") + " KiB";
  }

  function setText(id, text) {
    var element = byId(id);
    if (element && element.textContent !== text) {
      element.textContent = text;
    }
  }

  // --- The stage list ----------------------------------------------------------------------------

  function stageState(stage, status) {
    if (stage === "failed") {
      return status === "failed" ? "current" : "waiting";
    }
    if (status === "done") {
      return stage === "done" ? "current" : "complete";
    }
    var position = STAGES.indexOf(status);
    var index = STAGES.indexOf(stage);
    if (position >= 0 && index < position) {
      return "complete";
    }
    return index === position ? "current" : "waiting";
  }

  function stageSentence(list, status) {
    var item = list.querySelector('li[data-stage="' + status + '"]');
    if (!item) {
      return "Status: " + status + ".";
    }
    var label = item.querySelector(".stage-label");
    var text = item.querySelector(".stage-text");
    return (label ? label.textContent : status) + ": " + (text ? text.textContent : "");
  }

  function showStage(status, failure) {
    var list = byId("evaluation-stages");
    if (!list) {
      return;
    }
    list.setAttribute("data-status", status);
    var items = list.querySelectorAll("li[data-stage]");
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var stage = item.getAttribute("data-stage");
      var state = stageState(stage, status);
      item.setAttribute("data-state", state);
      if (state === "current") {
        item.setAttribute("aria-current", "step");
      } else {
        item.removeAttribute("aria-current");
      }
      if (stage === "failed") {
        item.hidden = status !== "failed";
      }
      var marker = item.querySelector(".stage-state");
      if (marker) {
        var complete = state === "complete" || (state === "current" && stage === "done");
        marker.textContent = complete ? "(complete)" : state === "current" ? "(in progress)" : "(waiting)";
      }
    }
    if (status === "failed") {
      setText("evaluation-failure", failure || "The evaluation could not finish.");
      setText("evaluation-status-text", "The evaluation failed: " + (failure || "no reason was recorded."));
    } else if (status === "done") {
      setText("evaluation-status-text", "The evaluation is done.");
    } else {
      setText("evaluation-status-text", stageSentence(list, status));
    }
  }

  function showResult(body, videoUrl) {
    var result = byId("evaluation-result");
    if (result) {
      var threshold = body.scores && body.scores.flag_threshold != null ? body.scores.flag_threshold : 50;
      setText("evaluation-score", String(body.score));
      setText(
        "evaluation-message",
        body.flagged
          ? "Quality score is low: below the review line of " + threshold + ", so Trust & Safety will look at it."
          : "Quality score is high: at or above the review line of " + threshold + "."
      );
      setText("evaluation-summary", body.summary || "");
      result.hidden = false;
    }
    addLink("video-analytics-link", videoUrl, "See the video's analytics and full moderation result");
  }

  function addLink(id, href, text) {
    var holder = byId("evaluation-links");
    if (!holder || !href || byId(id)) {
      return;
    }
    var link = document.createElement("a");
    link.id = id;
    link.href = href;
    link.textContent = text;
    if (holder.childElementCount) {
      holder.appendChild(document.createTextNode(" · "));
    }
    holder.appendChild(link);
  }

  // --- Polling the evaluation --------------------------------------------------------------------

  function follow(evaluationUrl, videoUrl, intervalMs, onFinished) {
    var errors = 0;
    var lastStatus = null;

    function later(ms) {
      window.setTimeout(tick, ms);
    }

    function giveUp(message) {
      setText("evaluation-status-text", message);
      if (onFinished) {
        onFinished(null);
      }
    }

    function tick() {
      fetch(evaluationUrl, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
      })
        .then(function (response) {
          if (response.status === 429) {
            // Throttled: wait as long as the server asks, and keep the page as it is meanwhile.
            var seconds = parseInt(response.headers.get("Retry-After"), 10);
            later(seconds > 0 ? seconds * 1000 : intervalMs * 4);
            return null;
          }
          if (response.status >= 400 && response.status < 500) {
            giveUp("We could not check the evaluation (HTTP " + response.status + "). Reload the page to try again.");
            return null;
          }
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (body) {
          if (!body) {
            return;
          }
          errors = 0;
          if (body.status !== lastStatus) {
            lastStatus = body.status;
            showStage(body.status, body.error && body.error.message);
          }
          if (body.status === "done") {
            showResult(body, videoUrl);
          }
          if (FINAL[body.status]) {
            if (onFinished) {
              onFinished(body);
            }
            return;
          }
          later(intervalMs);
        })
        .catch(function () {
          errors += 1;
          if (errors >= MAX_POLL_ERRORS) {
            giveUp("We lost contact with the server. Reload the page to see where the evaluation stands.");
            return;
          }
          later(intervalMs * Math.pow(2, errors)); // back off: 3 s, 6 s, 12 s ...
        });
    }

    tick();
  }

  // --- The upload form ---------------------------------------------------------------------------

  function fieldInput(form, name) {
    return form.querySelector('[name="' + name + '"]');
  }

  function clearErrors(form) {
    var lists = form.querySelectorAll(".field .errorlist");
    for (var i = 0; i < lists.length; i++) {
      lists[i].innerHTML = "";
      lists[i].hidden = true;
      lists[i].parentNode.classList.remove("field-invalid");
    }
    var invalid = form.querySelectorAll('[aria-invalid="true"]');
    for (var j = 0; j < invalid.length; j++) {
      invalid[j].removeAttribute("aria-invalid");
    }
    var summary = byId("form-errors");
    if (summary) {
      summary.hidden = true;
      byId("form-errors-list").innerHTML = "";
    }
  }

  function fillList(list, messages) {
    list.innerHTML = "";
    for (var i = 0; i < messages.length; i++) {
      var item = document.createElement("li");
      item.textContent = messages[i];
      list.appendChild(item);
    }
    list.hidden = false;
  }

  // errors: {field: [message, ...]} as the server sends them (the API's field names).
  function showErrors(form, errors) {
    var general = [];
    var first = null;
    Object.keys(errors).forEach(function (name) {
      var messages = [].concat(errors[name]);
      var container = form.querySelector('.field[data-field="' + name + '"]');
      if (!container) {
        general = general.concat(messages);
        return;
      }
      var list = container.querySelector(".errorlist");
      fillList(list, messages);
      container.classList.add("field-invalid");
      var input = fieldInput(form, name);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        var described = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
        if (described.indexOf(list.id) < 0) {
          described.push(list.id);
          input.setAttribute("aria-describedby", described.join(" "));
        }
        first = first || input;
      }
    });
    var summary = byId("form-errors");
    if (summary) {
      fillList(byId("form-errors-list"), general);
      summary.hidden = false;
    }
    if (first) {
      first.focus();
    } else if (summary) {
      summary.focus();
    }
  }

  function sizeError(form, file) {
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
    if (!file || !limit || file.size <= limit) {
      return null;
    }
    return (
      "The file is " + mib(file.size) + "; the limit is " + form.getAttribute("data-max-size") +
      ". Choose a smaller file (or shorten the video)."
    );
  }

  function initUpload(form) {
    var live = byId("upload-live");
    var progress = byId("upload-progress");
    var button = byId("upload-submit");
    var fileInput = fieldInput(form, "file");
    var intervalMs = parseInt(form.getAttribute("data-poll-interval"), 10) || 1500;
    var busy = false;

    if (fileInput) {
      fileInput.addEventListener("change", function () {
        var message = sizeError(form, fileInput.files && fileInput.files[0]);
        clearErrors(form);
        if (message) {
          showErrors(form, { file: [message] });
        }
      });
    }

    function failed(message, errors) {
      busy = false;
      button.disabled = false;
      form.removeAttribute("aria-busy");
      live.hidden = true;
      showErrors(form, errors || { non_field_errors: [message] });
    }

    function uploaded(body) {
      form.hidden = true;
      setText("upload-live-heading", "Uploaded: " + body.video.title);
      setText("upload-progress-text", "100% uploaded.");
      byId("evaluation-panel").hidden = false;
      addLink("upload-status-link", body.status_url, "Follow this evaluation on its own page");
      var another = byId("upload-another");
      if (!body.evaluation || !body.evaluation_url) {
        setText("evaluation-status-text", "The video was stored; its evaluation has not started.");
        another.hidden = false;
        return;
      }
      if (!FINAL[body.evaluation.status]) {
        showStage(body.evaluation.status); // a finished one is shown by the first poll, with its result
      }
      follow(body.evaluation_url, body.video.url, intervalMs, function () {
        another.hidden = false;
      });
    }

    form.addEventListener("submit", function (event) {
      if (!window.XMLHttpRequest || !window.FormData || !window.fetch) {
        return; // an old browser: the normal form post works too
      }
      event.preventDefault();
      if (busy) {
        return;
      }
      clearErrors(form);
      var file = fileInput && fileInput.files && fileInput.files[0];
      var tooBig = sizeError(form, file);
      if (tooBig) {
        showErrors(form, { file: [tooBig] });
        return;
      }
      busy = true;
      button.disabled = true;
      form.setAttribute("aria-busy", "true");
      var title = fieldInput(form, "title");
      setText("upload-live-title", title && title.value ? "“" + title.value.trim() + "”" : "");
      progress.value = 0;
      setText("upload-progress-text", "0% uploaded");
      live.hidden = false;
      // The button is disabled and the form is hidden once uploaded: keep keyboard focus on the news.
      byId("upload-live-heading").focus();

      var xhr = new XMLHttpRequest();
      var announced = 0;
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) {
          return;
        }
        var percent = Math.floor((e.loaded * 100) / e.total);
        progress.value = percent;
        // The live region is told in steps of 10 %, so that a screen reader is not flooded.
        if (percent >= announced + 10 || percent === 100) {
          announced = percent - (percent % 10);
          setText("upload-progress-text", percent + "% uploaded");
        }
      };
      xhr.upload.onload = function () {
        progress.value = 100;
        setText("upload-progress-text", "100% uploaded; checking the file…");
      };
      xhr.onload = function () {
        var body = null;
        if ((xhr.getResponseHeader("Content-Type") || "").indexOf("application/json") === 0) {
          try {
            body = JSON.parse(xhr.responseText);
          } catch (ignored) {
            body = null;
          }
        }
        if (xhr.status === 201 && body && body.video) {
          uploaded(body);
        } else if (body && body.errors) {
          failed(body.detail, body.errors);
        } else if (xhr.status === 403) {
          failed("The page has expired or you were signed out (HTTP 403). Reload the page and try again.");
        } else {
          failed("The upload failed (HTTP " + xhr.status + "). Nothing was stored; please try again.");
        }
      };
      xhr.onerror = function () {
        failed(
          "The upload was interrupted before the server answered (the connection dropped, or the file is " +
            "over the limit of " + form.getAttribute("data-max-size") + "). Nothing was stored; please try again."
        );
      };
      xhr.send(new FormData(form));
    });
  }

  // --- Start -------------------------------------------------------------------------------------

  var form = byId("upload-form");
  if (form) {
    initUpload(form);
  }
  var statusPage = byId("upload-status");
  if (statusPage && window.fetch) {
    var url = statusPage.getAttribute("data-evaluation-url");
    if (url && statusPage.getAttribute("data-finished") !== "true") {
      var interval = parseInt(statusPage.getAttribute("data-poll-interval"), 10) || 1500;
      follow(url, statusPage.getAttribute("data-video-url"), interval, null);
    }
  }
})();
