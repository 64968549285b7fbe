// AnswerJournal (REQUIREMENTS K-60): the kernel's answers to one lockstep message attempt
// (the time, random numbers), asked once by replica 0 and replayed to replica 1, so both
// replicas see identical inputs although only one asked. Replica 1 may run ahead of replica
// 0 on another thread; it then waits for the answer, or, once replica 0 has stopped (at a
// sync point or the end) without giving it, learns that it asked for something replica 0
// never did — a divergence, which its handler turns into a trap.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "base/types.h"

namespace esta::kernel {

enum class AnswerKind : u8 { Time, Random };

class AnswerJournal {
  public:
    // A new attempt: no answers yet, replica 0 running.
    void reset();
    // Replica 0: records the answer it was given.
    void record(AnswerKind kind, u64 value);
    // Replica 1: the index-th answer, once replica 0 gave it; nothing when replica 0 stopped
    // without giving it, or gave an answer of another kind there.
    std::optional<u64> replay(std::size_t index, AnswerKind kind);
    // Replica 0 reached a stop (it asks nothing more until it runs again) / runs again.
    void set_leader_stopped(bool stopped);
    std::size_t size() const;

  private:
    struct Answer {
        AnswerKind kind;
        u64 value;
    };
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<Answer> m_answers;
    bool m_leader_stopped = false;
};

}  // namespace esta::kernel
