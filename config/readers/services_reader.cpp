#include "config/readers/services_reader.hpp"

#include "config/readers/entries.hpp"
#include "config/readers/security_reader.hpp"
#include "core/topic_name.hpp"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

// A service's topic: a valid name, not an inbox, allowed by a topic pattern.
void read_topic(yaml_reader& r, const YAML::Node& node, const std::string& path, const char* key,
                const topics_config& topics, std::string& out) {
  r.read_string(node, path, key, out);
  if (out.empty()) return;
  if (!topic_name::valid(out) || topic_name::is_inbox(out) || topic_name::is_user_channel(out))
    return r.fail(node[key], join_path(path, key),
                  "a service's topic is a topic name (not an inbox or user channel): " +
                      std::string{topic_name::rule_text});
  if (topics.find_rule(out) == nullptr)
    r.fail(node[key], join_path(path, key),
           "no pattern under topics.patterns allows the topic \"" + out + "\"");
}

void read_on_exit(yaml_reader& r, const YAML::Node& node, const std::string& path,
                  service_config& s) {
  auto p = path + ".on_exit";
  if (!r.open_map(node, p, {"success", "failure"})) return;
  r.read_string_list(node, p, "success", s.on_success);
  r.read_string_list(node, p, "failure", s.on_failure);
}

void read_service(yaml_reader& r, const YAML::Node& node, const std::string& path,
                  service_config& s, const topics_config& topics) {
  if (!node.IsDefined() || node.IsNull())
    return r.fail(node, path, "expected a mapping with `command`");
  if (!r.open_map(
          node, path,
          {"command", "args", "env", "cwd", "kill_grace", "start_on_boot", "restart",
           "restart_limit", "backoff", "log_topic", "events_topic", "max_line_bytes", "on_exit"}))
    return;
  if (!node["command"].IsDefined()) r.fail(node, path + ".command", "missing");
  r.read_string(node, path, "command", s.command);
  r.read_string_list(node, path, "args", s.args);
  r.read_string_map(node, path, "env", s.env);
  r.read_string(node, path, "cwd", s.cwd);
  r.read_duration(node, path, "kill_grace", s.kill_grace, 0ms, 1h);
  r.read_bool(node, path, "start_on_boot", s.start_on_boot);
  if (auto v = r.read_choice(node, path, "restart", {"never", "on_failure", "always"}))
    s.restart = static_cast<restart_policy>(*v);
  r.read_unsigned(node, path, "restart_limit", s.restart_limit, 0, 1'000'000);
  auto backoff = node["backoff"];
  auto bpath = path + ".backoff";
  if (r.open_map(backoff, bpath, {"base", "max"})) {
    r.read_duration(backoff, bpath, "base", s.backoff_base, 1ms, 1h);
    r.read_duration(backoff, bpath, "max", s.backoff_max, 1ms, 24h);
    if (s.backoff_max < s.backoff_base) r.fail(backoff, bpath, "`max` is less than `base`");
  }
  read_topic(r, node, path, "log_topic", topics, s.log_topic);
  read_topic(r, node, path, "events_topic", topics, s.events_topic);
  r.read_size(node, path, "max_line_bytes", s.max_line_bytes, 64, 16ULL << 20);
  read_on_exit(r, node["on_exit"], path, s);
}

// Every service an on_exit names must exist.
void check_pipelines(yaml_reader& r, const YAML::Node& node, const services_config& all) {
  for (const auto& s : all.services)
    for (const auto* list : {&s.on_success, &s.on_failure})
      for (std::size_t i = 0; i < list->size(); ++i)
        if (all.find((*list)[i]) == nullptr) {
          const char* key = list == &s.on_success ? "success" : "failure";
          r.fail(node[s.name]["on_exit"][key][i],
                 "services." + s.name + ".on_exit." + key + "[" + std::to_string(i) + "]",
                 "no service named \"" + (*list)[i] + "\"");
        }
}

// `path`: a directory part without glob characters, and a last part.
void split_watch_path(yaml_reader& r, const YAML::Node& node, const std::string& path,
                      watch_config& w) {
  auto slash = w.path.rfind('/');
  w.directory = slash == std::string::npos ? "." : slash == 0 ? "/" : w.path.substr(0, slash);
  w.pattern = slash == std::string::npos ? w.path : w.path.substr(slash + 1);
  if (w.pattern.empty())
    r.fail(node["path"], path + ".path", "expected a file (or a glob) after the last '/'");
  if (w.directory.find_first_of("*?[") != std::string::npos)
    r.fail(node["path"], path + ".path", "a glob may only be in the last part of the path");
}

void read_watch(yaml_reader& r, const YAML::Node& node, const std::string& path,
                const topics_config& topics, watch_config& w) {
  if (!node.IsMap()) return r.fail(node, path, "expected a mapping with `path` and `topic`");
  if (!r.open_map(node, path, {"path", "topic", "format", "debounce", "max_bytes"})) return;
  for (const char* key : {"path", "topic"})
    if (!node[key].IsDefined()) r.fail(node, join_path(path, key), "missing");
  r.read_string(node, path, "path", w.path);
  if (!w.path.empty()) split_watch_path(r, node, path, w);
  read_topic(r, node, path, "topic", topics, w.topic);
  if (auto v = r.read_choice(node, path, "format", {"json", "text", "event"}))
    w.format = static_cast<watch_format>(*v);
  r.read_duration(node, path, "debounce", w.debounce, 0ms, 1h);
  r.read_size(node, path, "max_bytes", w.max_bytes, 1, 64ULL << 20);
}

}  // namespace

void read_watches(yaml_reader& r, const YAML::Node& node, config& cfg) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsSequence()) return r.fail(node, "watch", "expected a list of files to watch");
  for (std::size_t i = 0; i < node.size(); ++i) {
    watch_config w;
    read_watch(r, node[i], "watch[" + std::to_string(i) + "]", cfg.topics, w);
    cfg.services.watches.push_back(std::move(w));
  }
}

void read_services(yaml_reader& r, const YAML::Node& node, config& cfg) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) return r.fail(node, "services", "expected a mapping of service names");
  auto& out = cfg.services;
  for (const auto& kv : node) {
    auto name = kv.first.Scalar();
    if (name == "allow") {
      read_access(r, node, "services", "allow", out.allow, false);
      continue;
    }
    auto path = checked_entry(r, kv.first, "services", "service", out.find(name) != nullptr);
    service_config s;
    s.name = name;
    read_service(r, kv.second, path, s, cfg.topics);
    out.services.push_back(std::move(s));
  }
  check_pipelines(r, node, out);
}

}  // namespace sluice::config
