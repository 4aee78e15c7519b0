#pragma once

// Jobs that wait on the network (requests to the NATS servers), run on a few
// threads of their own. Jobs posted under the same key run one after another
// in the order posted; jobs under different keys may run side by side, so a
// request a dead server never answers holds up only the jobs of its lane, not
// every topic of the node.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace sluice::transport {

class job_lanes {
 public:
  using job = std::function<void()>;

  explicit job_lanes(std::size_t count);
  ~job_lanes();
  job_lanes(const job_lanes&) = delete;
  job_lanes& operator=(const job_lanes&) = delete;

  // After stop(), `j` runs at once on the caller's thread.
  void post(std::string_view key, job j);

  // Runs the jobs already posted, then ends the threads. Called from a job,
  // that job's lane runs nothing more (whoever owns these lanes is going
  // away) and its thread ends on its own once the job returns.
  void stop();
  bool stopping() const { return stopping_.load(); }

  std::size_t lane_of(std::string_view key) const;
  std::size_t size() const { return lanes_.size(); }

 private:
  // Shared with its thread, which outlives this object when stop() was
  // called from one of its jobs.
  struct lane {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<job> jobs;
    bool stopping = false;
    bool orphaned = false;  // run nothing more
  };
  static void run(const std::shared_ptr<lane>& l);

  std::vector<std::shared_ptr<lane>> lanes_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
};

}  // namespace sluice::transport
