#include "kernel/redundancy/answer_journal.h"

namespace esta::kernel {

void AnswerJournal::reset() {
    std::lock_guard lock(m_mutex);
    m_answers.clear();
    m_leader_stopped = false;
}

void AnswerJournal::record(AnswerKind kind, u64 value) {
    {
        std::lock_guard lock(m_mutex);
        m_answers.push_back(Answer{kind, value});
    }
    m_changed.notify_all();
}

std::optional<u64> AnswerJournal::replay(std::size_t index, AnswerKind kind) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return index < m_answers.size() || m_leader_stopped; });
    if (index >= m_answers.size() || m_answers[index].kind != kind) return std::nullopt;
    return m_answers[index].value;
}

void AnswerJournal::set_leader_stopped(bool stopped) {
    {
        std::lock_guard lock(m_mutex);
        m_leader_stopped = stopped;
    }
    m_changed.notify_all();
}

std::size_t AnswerJournal::size() const {
    std::lock_guard lock(m_mutex);
    return m_answers.size();
}

}  // namespace esta::kernel
