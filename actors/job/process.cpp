#include "actors/job/process.hpp"

#include "actors/actor_metrics.hpp"
#include "actors/frames.hpp"
#include "actors/job/support.hpp"
#include "actors/strays.hpp"
#include "actors/upstream/relay.hpp"

namespace sluice::actors {
namespace {

// Runs on the launcher's thread.
class job_forwarder : public transport::process_events {
 public:
  // Holds the job's max_concurrent slot (if any) until the process is reaped.
  job_forwarder(caf::weak_actor_ptr job, slot_ptr slot)
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

transport::process_spec spec_of(const config::process_upstream_config& p, const std::string& id) {
  // Each line becomes at most one frame, so the job's credit window bounds the lines too.
  transport::process_spec spec{p.command, p.args,           p.env,
                               p.cwd,     p.max_line_bytes, job_credit_window};
  spec.env.emplace_back("SLUICE_REQUEST_ID", id);
  return spec;
}

}  // namespace

process_job_state::process_job_state(caf::event_based_actor* self) : self_(self) {}

process_job_state::~process_job_state() {
  if (process_) process_->terminate(spec_.kill_grace);  // a no-op once it has exited
}

caf::behavior process_job_state::make_behavior(upstream_binding upstream,
                                               std::chrono::milliseconds timeout, job_request req,
                                               transport::process_launcher* launcher) {
  spec_ = upstream.config->process;
  req_ = std::move(req);
  launcher_ = launcher;
  deadline_.arm(self_, timeout, upstream.timers);
  attempts_.emplace(self_, upstream);
  if (spec_.max_concurrent > 0)
    self_->send(upstream.supervisor, acquire_atom::value);  // slot_atom comes back
  else
    launch();
  return {
      [this](slot_atom, slot_ptr& slot) {
        slot_ = std::move(slot);
        launch();
      },
      [this](process_line& msg) { on_line(msg); },
      [this](const process_exit& msg) { on_exit(msg); },
      [this](line_too_long_atom) {
        reply_error(self_, req_, ec::upstream_protocol_error,
                    "the process printed a line longer than max_line_bytes (" +
                        std::to_string(spec_.max_line_bytes) + ")",
                    request_outcome::error);
      },
      [this](credit_atom, std::uint32_t n) { on_credit(n); },
      [this](upstream_failed_atom, std::string& why) {  // no slot: limits.upstream_queue is full
        reply_error(self_, req_, ec::upstream_unavailable, why, request_outcome::error);
      },
      [this](deadline_atom) {
        reply_error(self_, req_, ec::deadline_exceeded, "the request exceeded its route's timeout",
                    request_outcome::deadline_exceeded);
      },
  };
}

void process_job_state::launch() {
  try {
    auto events =
        std::make_shared<job_forwarder>(caf::actor_cast<caf::weak_actor_ptr>(self_), slot_);
    process_ = launcher_->launch(spec_of(spec_, req_.id), req_.payload + "\n", std::move(events));
    attempts_->reached();
  } catch (const std::exception& e) {
    attempts_->failed(e.what(), false);  // a process that cannot start is not retried
    reply_error(self_, req_, ec::upstream_unavailable, e.what(), request_outcome::error);
  }
}

void process_job_state::on_line(process_line& msg) {
  if (msg.from_stderr || spec_.output == config::process_output::lines)
    return emit(frames::process_line(req_.id, msg.from_stderr, msg.line));
  on_json_line(msg.line);
}

void process_job_state::on_json_line(const std::string& line) {
  auto msg = classify_upstream_json(line);
  switch (msg.type) {
    case relayed_message::kind::invalid:
      return reply_error(
          self_, req_, ec::upstream_protocol_error,
          "the process printed a line that is not a JSON object (output: json_lines)",
          request_outcome::error);
    case relayed_message::kind::final:
      final_data_ = std::move(msg.data);  // sent when the process exits successfully
      return acknowledge_lines(1);        // no frame, so no credit will come back for it
    case relayed_message::kind::token:
      return emit(frames::with_data("token", req_.id, msg.data));
    case relayed_message::kind::progress:
    case relayed_message::kind::error:  // the exit status decides whether the request failed
      return emit(frames::with_data("progress", req_.id, msg.data));
  }
}

void process_job_state::on_exit(const process_exit& msg) {
  process_.reset();
  if (msg.signal >= 0)
    return reply_error(self_, req_, ec::upstream_failed,
                       "the process was killed by signal " + std::to_string(msg.signal),
                       request_outcome::error);
  if (msg.exit_code != 0)
    return reply_error(self_, req_, ec::upstream_failed,
                       "the process exited with status " + std::to_string(msg.exit_code),
                       request_outcome::error);
  reply(self_, req_, frames::process_final(req_.id, final_data_), true, request_outcome::ok);
}

void process_job_state::emit(std::string frame) {
  attempts_->streamed();
  reply(self_, req_, std::move(frame), false, request_outcome::ok);
}

// The session's credit for our frames is the launcher's credit for lines.
void process_job_state::on_credit(std::uint32_t n) {
  acknowledge_lines(n);
}

void process_job_state::acknowledge_lines(std::uint32_t n) {
  if (process_) process_->acknowledge(n);
}

caf::behavior process_job(caf::stateful_actor<process_job_state>* self, upstream_binding upstream,
                          std::chrono::milliseconds timeout, job_request req,
                          transport::process_launcher* launcher) {
  ignore_strays(self, process_job_state::name);
  return self->state.make_behavior(std::move(upstream), timeout, std::move(req), launcher);
}

}  // namespace sluice::actors
