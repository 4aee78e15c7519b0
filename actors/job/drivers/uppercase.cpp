#include "actors/job/drivers/uppercase.hpp"

#include "actors/job/flow_control.hpp"
#include "protocol/server_frames.hpp"

namespace sluice::actors {
namespace {

class uppercase_job final : public job_driver {
 public:
  uppercase_job(job_shell& job, config::uppercase_params params) : job_(job), params_(params) {}

  void attempt() override {
    auto text = config::request_template::payload_text(job_.request().payload);
    if (!text)
      return job_.fail(ec::invalid_payload,
                       "the uppercase route takes {\"text\": \"...\"} or a string as payload");
    text_ = std::move(*text);
    job_.self()->send(job_.self(), tick_atom::value);
  }

  void on_credit(std::uint32_t n) override {
    window_.acknowledged(n);
    if (waiting_for_credit_ && window_.can_send()) {
      waiting_for_credit_ = false;
      schedule_next_tick();
    }
  }

  caf::message_handler handlers() override {
    return {[this](tick_atom) { on_tick(); }};
  }

 private:
  void on_tick() {
    const auto& id = job_.request().id;
    if (step_ == params_.steps)
      return job_.finish(protocol::frames::final_result(id, to_upper_ascii(text_)),
                         request_outcome::ok);
    ++step_;
    job_.emit(protocol::frames::progress(id, step_, params_.steps));
    window_.sent();
    schedule_next_tick();
  }

  void schedule_next_tick() {
    if (!window_.can_send()) {
      waiting_for_credit_ = true;  // the client is behind: produce nothing until it catches up
      return;
    }
    auto* self = job_.self();
    if (params_.interval.count() == 0)
      self->send(self, tick_atom::value);
    else
      self->delayed_send(self, params_.interval, tick_atom::value);
  }

  job_shell& job_;
  config::uppercase_params params_;
  std::string text_;
  std::uint32_t step_ = 0;
  credit_window window_;
  bool waiting_for_credit_ = false;
};

}  // namespace

std::string to_upper_ascii(std::string_view text) {
  std::string out{text};
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

driver_factory uppercase_driver(config::uppercase_params params) {
  return [params](job_shell& job) { return std::make_unique<uppercase_job>(job, params); };
}

}  // namespace sluice::actors
