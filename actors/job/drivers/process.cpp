#include "actors/job/drivers/process.hpp"

#include <simdjson.h>

#include "actors/job/flow_control.hpp"
#include "actors/topic/backend_publish.hpp"
#include "actors/upstream/relay.hpp"
#include "core/observe/log.hpp"
#include "protocol/server_frames.hpp"

namespace sluice::actors {
namespace {

// Runs on the launcher's thread.
class process_forwarder : public transport::process_events {
 public:
  // Holds the job's max_concurrent slot (if any) until the process is reaped.
  process_forwarder(caf::weak_actor_ptr job, slot_ptr slot)
      : job_(std::move(job)), slot_(std::move(slot)) {}

  void on_line(transport::process_stream stream, std::string line) override {
    job_.send(process_line{stream == transport::process_stream::stderr_stream, std::move(line)});
  }
  void on_line_too_long(transport::process_stream) override {
    job_.send(line_too_long_atom::value);
  }
  void on_exit(int exit_code, int signal) override { job_.send(process_exit{exit_code, signal}); }

 private:
  weak_sender job_;
  slot_ptr slot_;
};

transport::process_spec spec_of(const config::process_upstream_config& p, const std::string& id,
                                const caller_info* caller) {
  // Each line becomes at most one frame, so the job's credit window bounds the lines too.
  transport::process_spec spec{p.command, p.args,           p.env,
                               p.cwd,     p.max_line_bytes, job_credit_window};
  spec.env.emplace_back("SLUICE_REQUEST_ID", id);
  if (caller != nullptr) {  // who is asking (docs/protocol.md, "Who is asking")
    spec.env.emplace_back("SLUICE_SUB", caller->sub);
    spec.env.emplace_back("SLUICE_CLIENT_ID", caller->client_id);
    spec.env.emplace_back("SLUICE_ROUTE", caller->route);
    std::string roles;
    for (const auto& r : caller->roles) roles.append(roles.empty() ? "" : ",").append(r);
    spec.env.emplace_back("SLUICE_ROLES", roles);
  }
  return spec;
}

class process_job final : public job_driver {
 public:
  process_job(job_shell& job, transport::process_launcher* launcher, topic_directory* topics)
      : job_(job),
        spec_(job.attempts()->upstream().process),
        launcher_(launcher),
        topics_(topics) {}
  ~process_job() override {
    if (process_) process_->terminate(spec_.kill_grace);  // a no-op once it has exited
  }

  void attempt() override {
    if (spec_.max_concurrent == 0) return launch();
    // slot_atom comes back (after queued_atom when every slot is busy), or
    // upstream_failed_atom when limits.upstream_queue is full.
    job_.self()->send(job_.attempts()->supervisor(), acquire_atom::value,
                      static_cast<std::uint8_t>(job_.request().priority));
  }

  bool waits_for_capacity() const override { return spec_.max_concurrent > 0; }

  // The session's credit for our frames is the launcher's credit for lines.
  void on_credit(std::uint32_t n) override { acknowledge_lines(n); }

  caf::message_handler handlers() override {
    return {
        [this](queued_atom, std::uint32_t place) { job_.accepted(place); },
        [this](slot_atom, slot_ptr& slot) {
          job_.accepted(0);
          slot_ = std::move(slot);
          launch();
        },
        [this](process_line& msg) { on_line(msg); },
        [this](const process_exit& msg) { on_exit(msg); },
        [this](line_too_long_atom) {
          job_.fail(ec::upstream_protocol_error,
                    "the process printed a line longer than max_line_bytes (" +
                        std::to_string(spec_.max_line_bytes) + ")");
        },
        [this](upstream_failed_atom, std::string& why) {
          job_.fail(ec::upstream_unavailable, why);
        },
    };
  }

 private:
  void launch() {
    try {
      auto events = std::make_shared<process_forwarder>(
          caf::actor_cast<caf::weak_actor_ptr>(job_.self()), slot_);
      process_ = launcher_->launch(spec_of(spec_, job_.request().id, job_.request().caller.get()),
                                   job_.request().payload + "\n", std::move(events));
      job_.attempts()->reached();
    } catch (const std::exception& e) {
      job_.attempts()->failed(e.what(), false);
      job_.fail(ec::upstream_unavailable, e.what());
    }
  }

  void on_line(process_line& msg) {
    if (msg.from_stderr || spec_.output == config::process_output::lines)
      return job_.emit(
          protocol::frames::process_line(job_.request().id, msg.from_stderr, msg.line));
    on_json_line(msg.line);
  }

  void on_json_line(const std::string& line) {
    auto msg = classify_upstream_json(line);
    const auto& id = job_.request().id;
    if (msg.name == "publish") return publish(msg.data);
    switch (msg.type) {
      case relayed_message::kind::invalid:
        return job_.fail(
            ec::upstream_protocol_error,
            "the process printed a line that is not a JSON object (output: json_lines)");
      case relayed_message::kind::final:
        final_data_ = std::move(msg.data);  // sent when the process exits successfully
        return acknowledge_lines(1);        // no frame, so no credit will come back for it
      case relayed_message::kind::token:
        return job_.emit(protocol::frames::with_data("token", id, msg.data, msg.name),
                         msg.kind_name());
      case relayed_message::kind::progress:
      case relayed_message::kind::error:  // the exit status decides whether the request failed
        return job_.emit(protocol::frames::with_data("progress", id, msg.data, msg.name),
                         msg.kind_name());
    }
  }

  void on_exit(const process_exit& msg) {
    process_.reset();
    if (msg.signal >= 0)
      return job_.fail(ec::upstream_failed,
                       "the process was killed by signal " + std::to_string(msg.signal));
    if (msg.exit_code != 0)
      return job_.fail(ec::upstream_failed,
                       "the process exited with status " + std::to_string(msg.exit_code));
    job_.finish(protocol::frames::process_final(job_.request().id, final_data_),
                request_outcome::ok);
  }

  // {"type":"publish","topic":…,"data":…}: no frame for the client, so the
  // line's credit comes back at once. The process cannot be told of a
  // refusal: it is logged and counted (backend_publish.hpp).
  void publish(const std::string& object) {
    acknowledge_lines(1);
    thread_local simdjson::dom::parser parser;
    simdjson::dom::object obj;
    std::string_view topic;
    simdjson::dom::element data;
    const auto& upstream = job_.attempts()->upstream();
    if (parser.parse(object).get_object().get(obj) || obj["topic"].get_string().get(topic) ||
        obj["data"].get(data) || topics_ == nullptr) {
      log::warn("process", "publish_refused",
                {{"upstream", upstream.name}, {"why", "a publish line needs `topic` and `data`"}});
      return;
    }
    backend_publish{upstream, std::string{topic}, simdjson::minify(data)}.send(
        job_.self(), *topics_, [name = upstream.name](const backend_publish::outcome& o) {
          if (!o.ok)
            log::warn("process", "publish_refused", {{"upstream", name}, {"why", o.message}});
        });
  }

  void acknowledge_lines(std::uint32_t n) {
    if (process_) process_->acknowledge(n);
  }

  job_shell& job_;
  config::process_upstream_config spec_;
  transport::process_launcher* launcher_;
  topic_directory* topics_;
  slot_ptr slot_;  // max_concurrent; the process holds it too, until it is reaped
  std::shared_ptr<transport::process_handle> process_;
  std::string final_data_;  // json_lines: the process's own final object
};

}  // namespace

driver_factory process_driver(transport::process_launcher* launcher, topic_directory* topics) {
  return [launcher, topics](job_shell& job) {
    return std::make_unique<process_job>(job, launcher, topics);
  };
}

}  // namespace sluice::actors
