#include "app/run/pg_decisions.h"

#include "drivers/postgres/pg_witness.h"

namespace esta::app::run {

namespace {

constexpr protocol::Nanos kCheckoutWait = 10'000 * protocol::kNanosPerMilli;
constexpr std::size_t kRowsPerStatement = 500;  // 8 parameters each, well under 65 535.

bool ok(PGresult* result) {
    auto status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

}  // namespace

std::string json_field(std::string_view line, std::string_view name) {
    std::string needle = "\"" + std::string(name) + "\":\"";
    auto at = line.find(needle);
    if (at == std::string_view::npos) return "";
    std::size_t start = at + needle.size();
    for (std::size_t i = start; i < line.size(); ++i) {
        if (line[i] == '\\') {
            ++i;
        } else if (line[i] == '"') {
            return std::string(line.substr(start, i - start));
        }
    }
    return "";
}

std::string idempotency_key(std::string_view line, std::string_view topic, i32 partition,
                            i64 offset) {
    std::string key = json_field(line, "id");
    if (key.empty()) {
        key = std::string(topic) + "/" + std::to_string(partition) + "/" + std::to_string(offset);
    }
    return key;
}

PgDecisions::PgDecisions(std::unique_ptr<drivers::PgPool> pool, std::string table, std::string node,
                         const protocol::Clock& clock)
    : m_pool(std::move(pool)),
      m_table(std::move(table)),
      m_node(std::move(node)),
      m_clock(clock),
      m_circuit(clock, kCircuit) {}

template <class Call>
auto PgDecisions::guarded(Call&& call) -> decltype(call()) {
    ESTA_TRY(m_circuit.admit());
    auto result = call();
    // A write refused by the epoch guard reached a healthy server: not a failure of it.
    if (result || result.error().code == Status::Revoked) {
        m_circuit.on_success();
    } else {
        m_circuit.on_failure();
    }
    return result;
}

Result<std::set<std::string>> PgDecisions::decided(const std::vector<std::string>& keys) {
    return guarded([&] { return decided_now(keys); });
}

Result<u64> PgDecisions::write(const std::vector<DecisionRow>& rows,
                               const std::optional<EpochGuard>& guard) {
    return guarded([&] { return write_now(rows, guard); });
}

PgDecisions::~PgDecisions() {
    m_pool->stop();
}

Result<std::unique_ptr<PgDecisions>> PgDecisions::open(const drivers::PgConfig& config,
                                                       std::string table, std::string node,
                                                       const protocol::Clock& clock) {
    auto pool = std::make_unique<drivers::PgPool>(config, clock);
    ESTA_TRY(pool->start());
    std::unique_ptr<PgDecisions> store(
        new PgDecisions(std::move(pool), std::move(table), std::move(node), clock));
    std::string create = "CREATE TABLE IF NOT EXISTS " + store->m_table +
                         " (idempotency_key text PRIMARY KEY, topic text NOT NULL, "
                         "partition integer NOT NULL, \"offset\" bigint NOT NULL, "
                         "kind text NOT NULL, module_sha256 text NOT NULL, "
                         "decision text NOT NULL, stored_by text NOT NULL, "
                         "stored_at timestamptz NOT NULL DEFAULT now())";
    auto connection = ESTA_TRY(store->m_pool->checkout(clock.now_ns() + kCheckoutWait));
    auto created = store->exec(connection->handle.get(), create, {});
    if (!created) {
        // Two nodes starting at once race on the catalog; the loser finds the table.
        created = store->exec(connection->handle.get(), create, {});
    }
    store->m_pool->give_back(std::move(connection));
    if (!created) return created.error();
    return store;
}

Result<drivers::PgResultHandle> PgDecisions::exec(PGconn* connection, const std::string& sql,
                                                  const std::vector<const char*>& params) {
    drivers::PgResultHandle result(PQexecParams(connection, sql.c_str(),
                                                static_cast<int>(params.size()), nullptr,
                                                params.data(), nullptr, nullptr, 0));
    if (!ok(result.get())) {
        if (PQstatus(connection) != CONNECTION_OK)
            return Err(Status::Unavailable, "run.pg_connection_lost");
        return Err(Status::DriverError, "run.pg_statement_failed");
    }
    return result;
}

Result<std::set<std::string>> PgDecisions::decided_now(const std::vector<std::string>& keys) {
    std::set<std::string> found;
    if (keys.empty()) return found;
    auto connection = ESTA_TRY(m_pool->checkout(m_clock.now_ns() + kCheckoutWait));
    Result<void> outcome = {};
    for (std::size_t first = 0; first < keys.size() && outcome; first += kRowsPerStatement) {
        std::size_t count = std::min(kRowsPerStatement, keys.size() - first);
        std::string sql = "SELECT idempotency_key FROM " + m_table + " WHERE idempotency_key IN (";
        std::vector<const char*> params;
        for (std::size_t i = 0; i < count; ++i) {
            sql += (i == 0 ? "$" : ",$") + std::to_string(i + 1);
            params.push_back(keys[first + i].c_str());
        }
        sql += ")";
        auto result = exec(connection->handle.get(), sql, params);
        if (!result) {
            outcome = result.error();
            break;
        }
        for (int row = 0; row < PQntuples(result->get()); ++row)
            found.insert(PQgetvalue(result->get(), row, 0));
    }
    if (!outcome) {
        m_pool->discard(std::move(connection));
        return outcome.error();
    }
    m_pool->give_back(std::move(connection));
    return found;
}

Result<u64> PgDecisions::write_now(const std::vector<DecisionRow>& rows,
                                   const std::optional<EpochGuard>& guard) {
    if (rows.empty()) return u64{0};
    auto connection = ESTA_TRY(m_pool->checkout(m_clock.now_ns() + kCheckoutWait));
    PGconn* handle = connection->handle.get();
    u64 inserted = 0;
    auto transaction = [&]() -> Result<void> {
        ESTA_TRY(exec(handle, "BEGIN", {}));
        if (guard) {
            std::string key = std::to_string(guard->lock_key);
            auto lease =
                ESTA_TRY(exec(handle, drivers::PgWitness::kEpochForShareSql, {key.c_str()}));
            u64 current = PQntuples(lease.get()) == 1
                              ? std::strtoull(PQgetvalue(lease.get(), 0, 0), nullptr, 10)
                              : 0;
            if (current != guard->epoch) {
                (void)exec(handle, "ROLLBACK", {});
                return Err(Status::Revoked, "run.pg_epoch_stale",
                           Detail{.limit = guard->epoch, .actual = current});
            }
        }
        for (std::size_t first = 0; first < rows.size(); first += kRowsPerStatement) {
            std::size_t count = std::min(kRowsPerStatement, rows.size() - first);
            std::string sql = "INSERT INTO " + m_table +
                              " (idempotency_key, topic, partition, \"offset\", kind, "
                              "module_sha256, decision, stored_by) VALUES ";
            std::vector<std::string> texts;  // Kept alive for params.
            texts.reserve(count * 4);
            std::vector<const char*> params;
            for (std::size_t i = 0; i < count; ++i) {
                const DecisionRow& row = rows[first + i];
                texts.push_back(std::to_string(row.partition));
                texts.push_back(std::to_string(row.offset));
                texts.push_back(json_field(row.decision, "kind"));
                texts.push_back(json_field(row.decision, "module_sha256"));
                std::size_t n = params.size();
                sql += i == 0 ? "(" : ",(";
                for (std::size_t k = 1; k <= 8; ++k)
                    sql += (k == 1 ? "$" : ",$") + std::to_string(n + k);
                sql += ")";
                params.push_back(row.key.c_str());
                params.push_back(row.topic.c_str());
                for (std::size_t k = texts.size() - 4; k < texts.size(); ++k)
                    params.push_back(texts[k].c_str());
                params.push_back(row.decision.c_str());
                params.push_back(m_node.c_str());
            }
            sql += " ON CONFLICT (idempotency_key) DO NOTHING";
            auto result = ESTA_TRY(exec(handle, sql, params));
            inserted += std::strtoull(PQcmdTuples(result.get()), nullptr, 10);
        }
        ESTA_TRY(exec(handle, "COMMIT", {}));
        return {};
    };
    auto done = transaction();
    if (!done) {
        // The connection may be mid-transaction or gone: never reuse it.
        m_pool->discard(std::move(connection));
        return done.error();
    }
    m_pool->give_back(std::move(connection));
    return inserted;
}

}  // namespace esta::app::run
