#include "actors/services/watches.hpp"

#include <simdjson.h>

#include "actors/messages.hpp"
#include "actors/services/metrics.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/observe/log.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {
namespace {

using kind = transport::file_change::kind;

std::string_view event_name(kind k) {
  switch (k) {
    case kind::changed:
      return "changed";
    case kind::removed:
      return "removed";
    case kind::too_large:
      return "too_large";
    case kind::unreadable:
      return "error";
  }
  return "error";
}

}  // namespace

void watch_publisher::on_change(transport::file_change c) {
  json::object obj;
  obj.str("file", c.path).num("ts", unix_ms());
  auto what = c.what;
  if (what == kind::changed && cfg_.format == config::watch_format::json) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (auto err = parser.parse(c.content).get(doc)) {
      what = kind::unreadable;
      c.error = std::string{"not valid JSON: "} + simdjson::error_message(err);
    } else {
      obj.str("event", "changed").num("size", static_cast<std::int64_t>(c.size));
      obj.raw("json", simdjson::minify(doc));
    }
  } else if (what == kind::changed) {
    obj.str("event", "changed").num("size", static_cast<std::int64_t>(c.size));
    if (cfg_.format == config::watch_format::text) obj.str("text", c.content);
  }
  if (what == kind::too_large) {
    obj.str("event", event_name(what)).num("size", static_cast<std::int64_t>(c.size));
    obj.num("max_bytes", static_cast<std::int64_t>(cfg_.max_bytes));
  } else if (what == kind::removed) {
    obj.str("event", event_name(what));
  } else if (what == kind::unreadable) {
    obj.str("event", event_name(what)).str("reason", c.error);
  }
  auto& m = service_metrics::get();
  m.file_changes.with({cfg_.topic, std::string{event_name(what)}}).inc();
  if (what != kind::changed && what != kind::removed)
    log::warn("watch", "file_not_published",
              {{"file", c.path},
               {"event", event_name(what)},
               {"reason", c.error},
               {"size", static_cast<std::int64_t>(c.size)}});
  publish(obj.finish());
}

void watch_publisher::on_watch_error(const std::string& why) {
  log::warn("watch", "cannot_watch", {{"path", cfg_.path}, {"reason", why}});
}

void watch_publisher::publish(std::string data) {
  if (!topic_.topic) topic_ = topics_->open(cfg_.topic);
  if (!topic_.topic) {
    log::warn("watch", "topic_refused", {{"topic", cfg_.topic}, {"reason", topic_.message}});
    return;
  }
  if (topic_.mailbox->full()) {
    log::warn("watch", "topic_full", {{"topic", cfg_.topic}, {"file", cfg_.path}});
    return;
  }
  topic_.mailbox->accepted();
  caf::anon_send(topic_.topic, publish_atom::value,
                 static_cast<std::uint8_t>(protocol::frames::record_kind::event), std::move(data));
}

void start_watches(transport::file_watcher& watcher,
                   const std::vector<config::watch_config>& watches,
                   const std::shared_ptr<topic_directory>& topics) {
  for (const auto& w : watches)
    watcher.watch({w.directory, w.pattern, w.debounce, w.max_bytes},
                  std::make_shared<watch_publisher>(w, topics));
}

}  // namespace sluice::actors
