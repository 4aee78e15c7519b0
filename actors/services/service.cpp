#include "actors/services/service.hpp"

#include <algorithm>
#include <system_error>

#include "actors/base/strays.hpp"
#include "actors/base/weak_sender.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/services/directory.hpp"
#include "actors/services/metrics.hpp"
#include "actors/services/restart_plan.hpp"
#include "core/clock.hpp"
#include "core/observe/log.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t line_window = 64;  // lines on their way to the log topic, at most

// Runs on the launcher's thread; tags every event with its run.
class service_forwarder : public transport::process_events {
 public:
  service_forwarder(caf::weak_actor_ptr service, std::uint64_t run)
      : service_(std::move(service)), run_(run) {}

  void on_line(transport::process_stream stream, std::string line) override {
    service_.send(service_line_atom::value, run_, is_stderr(stream), std::move(line), false);
  }
  void on_cut_line(transport::process_stream stream, std::string line) override {
    service_.send(service_line_atom::value, run_, is_stderr(stream), std::move(line), true);
  }
  void on_line_too_long(transport::process_stream) override {}  // lines are cut instead
  void on_exit(int exit_code, int signal) override {
    service_.send(service_exit_atom::value, run_, exit_code, signal);
  }

 private:
  static bool is_stderr(transport::process_stream s) {
    return s == transport::process_stream::stderr_stream;
  }
  weak_sender service_;
  std::uint64_t run_;
};

// "the service \"x\" …" in each phase.
std::string describe(std::string_view phase) {
  if (phase == "exited") return "has exited";
  if (phase == "failed") return "has failed";
  if (phase == "backoff") return "is waiting to restart";
  return "is " + std::string{phase};
}

std::string exit_how(int code, int signal) {
  return signal >= 0 ? "signal" : code == 0 ? "exit_0" : "exit_nonzero";
}

}  // namespace

std::string_view service_state::to_string(phase p) {
  switch (p) {
    case phase::stopped:
      return "stopped";
    case phase::running:
      return "running";
    case phase::stopping:
      return "stopping";
    case phase::backoff:
      return "backoff";
    case phase::exited:
      return "exited";
    case phase::failed:
      return "failed";
  }
  return "stopped";
}

service_state::~service_state() {
  if (process_) process_->terminate(cfg_.kill_grace);
}

caf::behavior service_state::make_behavior(config::service_config cfg,
                                           transport::process_launcher* launcher,
                                           std::shared_ptr<topic_directory> topics,
                                           const service_directory* directory) {
  cfg_ = std::move(cfg);
  launcher_ = launcher;
  topics_ = std::move(topics);
  directory_ = directory;
  service_metrics::get().up.with({cfg_.name}).set(0);
  return {
      [this](service_start_atom) { return start(false); },
      [this](service_stop_atom) { return stop(cfg_.kill_grace, false); },
      [this](service_stop_atom, std::int64_t grace_ms) {
        return stop(std::min(cfg_.kill_grace, std::chrono::milliseconds{grace_ms}), false);
      },
      [this](service_restart_atom) -> caf::result<std::string> {
        if (phase_ == phase::running) return stop(cfg_.kill_grace, true);
        return start(false);
      },
      [this](service_status_atom) { return status(); },
      [this](service_retry_atom, std::uint64_t run) {
        if (run == run_ && phase_ == phase::backoff) start(true);
      },
      [this](service_line_atom, std::uint64_t run, bool from_stderr, std::string& line, bool cut) {
        on_line(run, from_stderr, line, cut);
      },
      [this](service_exit_atom, std::uint64_t run, int code, int signal) {
        on_exit(run, code, signal);
      },
  };
}

// `by_policy`: a restart after the process exited (keeps the count in a row).
caf::result<std::string> service_state::start(bool by_policy) {
  if (phase_ == phase::running || phase_ == phase::stopping)
    return make_error(ec::already_running,
                      "the service \"" + cfg_.name + "\" " + describe(to_string(phase_)));
  if (!by_policy) restarts_ = 0;
  ++run_;
  if (!cfg_.log_topic.empty() && !log_.topic) log_ = topics_->open(cfg_.log_topic);
  if (!cfg_.events_topic.empty() && !events_.topic) events_ = topics_->open(cfg_.events_topic);
  transport::process_spec spec{cfg_.command,        cfg_.args,   cfg_.env, cfg_.cwd,
                               cfg_.max_line_bytes, line_window, true};
  spec.env.emplace_back("SLUICE_SERVICE", cfg_.name);
  try {
    process_ = launcher_->launch(
        spec, {},
        std::make_shared<service_forwarder>(caf::actor_cast<caf::weak_actor_ptr>(self_), run_));
  } catch (const std::system_error& e) {
    service_metrics::get().failures.with({cfg_.name}).inc();
    fail(std::string{"the command could not start: "} + e.what());
    return make_error(ec::start_failed, last_error_);
  }
  phase_ = phase::running;
  last_error_.clear();
  started_ = std::chrono::steady_clock::now();
  started_at_ms_ = unix_ms();
  auto& m = service_metrics::get();
  m.starts.with({cfg_.name}).inc();
  m.up.with({cfg_.name}).set(1);
  log::info("service", "started", {{"service", cfg_.name}, {"pid", process_->pid()}});
  publish(events_, service_records::started(cfg_.name, process_->pid(), started_at_ms_), false);
  return status();
}

caf::result<std::string> service_state::stop(std::chrono::milliseconds grace, bool then_start) {
  if (phase_ == phase::backoff) {  // a restart was waiting: it is called off
    ++run_;
    phase_ = phase::stopped;
    return status();
  }
  if (phase_ != phase::running && phase_ != phase::stopping)
    return make_error(ec::not_running,
                      "the service \"" + cfg_.name + "\" " + describe(to_string(phase_)));
  stop_asked_ = true;
  start_after_stop_ = start_after_stop_ || then_start;
  if (phase_ == phase::running) {
    phase_ = phase::stopping;
    log::info("service", "stopping", {{"service", cfg_.name}, {"grace_ms", grace.count()}});
    process_->terminate(grace);
  }
  waiters_.push_back(self_->make_response_promise());
  return waiters_.back();
}

void service_state::on_line(std::uint64_t run, bool from_stderr, std::string& line, bool cut) {
  if (run != run_ || !process_) return;
  service_metrics::get().lines.with({cfg_.name, from_stderr ? "stderr" : "stdout"}).inc();
  if (!log_.topic) {
    log::info(
        "service", "output",
        {{"service", cfg_.name}, {"stream", from_stderr ? "stderr" : "stdout"}, {"line", line}});
    process_->acknowledge(1);
    return;
  }
  publish(log_, service_records::log_line(cfg_.name, from_stderr, line, cut, unix_ms()), true);
}

// `acknowledge`: a line of the current run, acknowledged to its process once
// the topic answered (or refused it).
void service_state::publish(topic_directory::lookup& topic, std::string data, bool acknowledge) {
  auto done = [this, run = run_, acknowledge] {
    if (acknowledge && run == run_ && process_) process_->acknowledge(1);
  };
  if (!topic.topic) {
    if (!acknowledge) log::info("service", "event", {{"service", cfg_.name}, {"data", data}});
    return done();
  }
  if (topic.mailbox->full()) {
    service_metrics::get().dropped.with({cfg_.name}).inc();
    log::warn("service", "log_topic_full", {{"service", cfg_.name}, {"data", data}});
    return done();
  }
  topic.mailbox->accepted();
  auto kind = static_cast<std::uint8_t>(protocol::frames::record_kind::event);
  self_->request(topic.topic, caf::infinite, publish_atom::value, kind, std::move(data))
      .then([done](std::uint64_t, std::uint64_t) { done(); },
            [this, done](caf::error& e) {
              service_metrics::get().dropped.with({cfg_.name}).inc();
              log::warn("service", "publish_failed",
                        {{"service", cfg_.name}, {"error", message_of(e)}});
              done();
            });
}

void service_state::on_exit(std::uint64_t run, int code, int signal) {
  if (run != run_) return;
  process_.reset();
  auto now = std::chrono::steady_clock::now();
  service_records::exit_info e{
      code, signal, unix_ms(),
      std::chrono::duration_cast<std::chrono::milliseconds>(now - started_).count(), stop_asked_};
  last_exit_ = e;
  auto& m = service_metrics::get();
  m.up.with({cfg_.name}).set(0);
  m.exits.with({cfg_.name, exit_how(code, signal)}).inc();
  log::info("service", "exited",
            {{"service", cfg_.name},
             {"code", code},
             {"signal", signal},
             {"duration_ms", e.duration_ms},
             {"stopped", stop_asked_}});
  publish(events_, service_records::exited(cfg_.name, e), false);
  after_exit(e);
}

void service_state::after_exit(const service_records::exit_info& e) {
  if (std::exchange(stop_asked_, false)) {
    phase_ = phase::stopped;
    if (std::exchange(start_after_stop_, false)) start(false);
    return answer_waiters();
  }
  bool success = e.code == 0;
  run_pipeline(success ? cfg_.on_success : cfg_.on_failure);
  auto plan = plan_restart(cfg_, success, std::chrono::milliseconds{e.duration_ms}, restarts_);
  switch (plan.what) {
    case restart_plan::action::stay_exited:
      phase_ = phase::exited;
      return;
    case restart_plan::action::give_up:
      service_metrics::get().failures.with({cfg_.name}).inc();
      return fail("it exited " + std::to_string(plan.attempt + 1) +
                  " times in a row; restart_limit is " + std::to_string(cfg_.restart_limit));
    case restart_plan::action::restart:
      return schedule_restart(plan.attempt, plan.wait);
  }
}

void service_state::schedule_restart(std::uint32_t attempt, std::chrono::milliseconds wait) {
  restarts_ = attempt;
  phase_ = phase::backoff;
  service_metrics::get().restarts.with({cfg_.name}).inc();
  log::info("service", "restarting",
            {{"service", cfg_.name}, {"attempt", restarts_}, {"in_ms", wait.count()}});
  publish(events_, service_records::restarting(cfg_.name, restarts_, wait.count(), unix_ms()),
          false);
  self_->delayed_send(self_, wait, service_retry_atom::value, run_);
}

void service_state::fail(std::string reason) {
  phase_ = phase::failed;
  last_error_ = std::move(reason);
  log::warn("service", "failed", {{"service", cfg_.name}, {"reason", last_error_}});
  publish(events_, service_records::failed(cfg_.name, last_error_, unix_ms()), false);
}

// The next steps of a pipeline: each is started (one already running is left alone).
void service_state::run_pipeline(const std::vector<std::string>& next) {
  for (const auto& name : next) {
    auto target = directory_->find(name);
    if (!target) continue;
    self_->request(target, caf::infinite, service_start_atom::value)
        .then([](const std::string&) {},
              [this, name](caf::error& e) {
                log::warn("service", "pipeline_start_failed",
                          {{"service", cfg_.name}, {"next", name}, {"error", message_of(e)}});
              });
  }
}

void service_state::answer_waiters() {
  auto now = status();
  for (auto& w : waiters_) w.deliver(now);
  waiters_.clear();
}

std::string service_state::status() const {
  return service_records::status_json(
      cfg_, {to_string(phase_), process_ ? process_->pid() : 0,
             phase_ == phase::running || phase_ == phase::stopping ? started_at_ms_ : 0, restarts_,
             last_exit_, last_error_});
}

caf::behavior service_actor(caf::stateful_actor<service_state>* self, config::service_config cfg,
                            transport::process_launcher* launcher,
                            std::shared_ptr<topic_directory> topics,
                            const service_directory* directory) {
  ignore_strays(self, service_state::name);
  return self->state.make_behavior(std::move(cfg), launcher, std::move(topics), directory);
}

}  // namespace sluice::actors
