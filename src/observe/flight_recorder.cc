#include "observe/flight_recorder.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "observe/file_io.h"
#include "observe/log_format.h"
#include "observe/value.h"

namespace esta::observe {

namespace {

constexpr char kBinaryMagic[8] = {'E', 'S', 'T', 'A', 'F', 'L', 'R', '1'};
// Bookkeeping charged per entry and per field besides their text: keeps the 10 MiB bound
// honest for entries with many small fields.
constexpr std::size_t kEntryOverhead = sizeof(FlightEntry);
constexpr std::size_t kFieldOverhead = sizeof(std::pair<std::string, FlightEntry::OwnedValue>);

FlightEntry::OwnedValue own(const FieldValue& value) {
    if (auto text = std::get_if<std::string_view>(&value)) return std::string(*text);
    if (auto number = std::get_if<i64>(&value)) return *number;
    if (auto number = std::get_if<u64>(&value)) return *number;
    if (auto real = std::get_if<f64>(&value)) return *real;
    return std::get<bool>(value);
}

FieldValue borrow(const FlightEntry::OwnedValue& value) {
    if (auto text = std::get_if<std::string>(&value)) return std::string_view(*text);
    if (auto number = std::get_if<i64>(&value)) return *number;
    if (auto number = std::get_if<u64>(&value)) return *number;
    if (auto real = std::get_if<f64>(&value)) return *real;
    return std::get<bool>(value);
}

// Calls `use` with a LogRecord view of `entry`, so the log formatters serve exports too.
template <class Use>
void with_record(const FlightEntry& entry, Use&& use) {
    std::vector<Field> fields;
    fields.reserve(entry.fields.size());
    for (const auto& [key, value] : entry.fields) {
        fields.push_back(Field(key, false));
        fields.back().value = borrow(value);
    }
    const LogRecord record{
        entry.timestamp_ns, entry.severity, Category(entry.category, entry.category_detail),
        entry.pid,          entry.message,  fields};
    use(record);
}

// Binary form of one entry: a canonical map. Floats are kept (this is not the audit log);
// u64 values travel as i64 bit patterns under a "u:" key prefix so they round-trip.
Value entry_to_value(const FlightEntry& entry) {
    Value::Map fields;
    for (const auto& [key, value] : entry.fields) {
        if (auto text = std::get_if<std::string>(&value)) {
            fields["s:" + key] = Value::text(*text);
        } else if (auto number = std::get_if<i64>(&value)) {
            fields["i:" + key] = Value::integer(*number);
        } else if (auto unsigned_number = std::get_if<u64>(&value)) {
            fields["u:" + key] = Value::integer(static_cast<i64>(*unsigned_number));
        } else if (auto real = std::get_if<f64>(&value)) {
            fields["f:" + key] = Value::real(*real);
        } else {
            fields["b:" + key] = Value::boolean(std::get<bool>(value));
        }
    }
    Value::Map map;
    map["id"] = Value::integer(static_cast<i64>(entry.id));
    map["ts"] = Value::timestamp(entry.timestamp_ns);
    map["severity"] = Value::integer(static_cast<u8>(entry.severity));
    map["category"] = Value::integer(static_cast<u8>(entry.category));
    map["detail"] = Value::text(entry.category_detail);
    if (entry.pid) map["pid"] = Value::integer(static_cast<i64>(*entry.pid));
    map["message"] = Value::text(entry.message);
    map["fields"] = Value::map(std::move(fields));
    return Value::map(std::move(map));
}

Result<FlightEntry> entry_from_value(const Value& value) {
    const auto malformed = Err(Status::Malformed, "flight.entry");
    const Value* id = value.find("id");
    const Value* ts = value.find("ts");
    const Value* severity = value.find("severity");
    const Value* category = value.find("category");
    const Value* detail = value.find("detail");
    const Value* message = value.find("message");
    const Value* fields = value.find("fields");
    if (!id || !id->as_i64() || !ts || !ts->as_timestamp() || !severity || !severity->as_i64() ||
        !category || !category->as_i64() || !detail || !detail->as_text() || !message ||
        !message->as_text() || !fields || !fields->as_map()) {
        return malformed;
    }
    if (*severity->as_i64() < 0 || *severity->as_i64() > static_cast<i64>(Severity::Fatal) ||
        *category->as_i64() < 0 || *category->as_i64() > static_cast<i64>(CategoryKind::App)) {
        return malformed;
    }
    FlightEntry entry;
    entry.id = static_cast<u64>(*id->as_i64());
    entry.timestamp_ns = ts->as_timestamp()->ns;
    entry.severity = static_cast<Severity>(*severity->as_i64());
    entry.category = static_cast<CategoryKind>(*category->as_i64());
    entry.category_detail = *detail->as_text();
    if (const Value* pid = value.find("pid"); pid && pid->as_i64()) {
        entry.pid = static_cast<u64>(*pid->as_i64());
    }
    entry.message = *message->as_text();
    for (const auto& [tagged_key, field] : *fields->as_map()) {
        if (tagged_key.size() < 2 || tagged_key[1] != ':') return malformed;
        std::string key = tagged_key.substr(2);
        const char type = tagged_key[0];
        if (type == 's' && field.as_text()) {
            entry.fields.emplace_back(std::move(key), *field.as_text());
        } else if (type == 'i' && field.as_i64()) {
            entry.fields.emplace_back(std::move(key), *field.as_i64());
        } else if (type == 'u' && field.as_i64()) {
            entry.fields.emplace_back(std::move(key), static_cast<u64>(*field.as_i64()));
        } else if (type == 'f' && field.as_f64()) {
            entry.fields.emplace_back(std::move(key), *field.as_f64());
        } else if (type == 'b' && field.as_bool()) {
            entry.fields.emplace_back(std::move(key), *field.as_bool());
        } else {
            return malformed;
        }
    }
    return entry;
}

}  // namespace

bool FlightFilter::matches(const FlightEntry& entry) const {
    if (min_severity && entry.severity < *min_severity) return false;
    if (category) {
        if (entry.category != category->kind) return false;
        if (!category->detail.empty() && entry.category_detail != category->detail) return false;
    }
    if (from_ns && entry.timestamp_ns < *from_ns) return false;
    if (to_ns && entry.timestamp_ns > *to_ns) return false;
    if (pid && entry.pid != *pid) return false;
    return true;
}

FlightRecorder::FlightRecorder(const Clock& clock, FlightRecorderConfig config)
    : m_clock(clock), m_config(std::move(config)), m_last_persist_ns(clock.now_ns()) {
    if (m_config.crash_slots > 0) {
        m_crash = std::make_unique<CrashRing>(m_config.crash_slots, m_config.crash_slot_bytes);
    }
}

bool FlightRecorder::wanted_locked(const LogRecord& record) const {
    if (record.severity < m_config.min_severity) return false;
    if (m_config.categories.empty()) return true;
    return std::find(m_config.categories.begin(), m_config.categories.end(),
                     record.category.kind) != m_config.categories.end();
}

void FlightRecorder::write(const LogRecord& record) {
    std::lock_guard lock(m_mutex);
    if (!wanted_locked(record)) return;
    FlightEntry entry;
    entry.id = m_next_id++;
    entry.timestamp_ns = record.timestamp_ns;
    entry.severity = record.severity;
    entry.category = record.category.kind;
    entry.category_detail = std::string(record.category.detail);
    entry.pid = record.pid;
    entry.message = std::string(record.message);
    entry.bytes = kEntryOverhead + entry.message.size() + entry.category_detail.size();
    entry.fields.reserve(record.fields.size());
    for (const Field& field : record.fields) {
        entry.fields.emplace_back(std::string(field.key), own(field.value));
        entry.bytes += kFieldOverhead + field.key.size();
        if (auto text = std::get_if<std::string_view>(&field.value)) entry.bytes += text->size();
    }
    m_bytes += entry.bytes;
    if (m_crash) keep_for_crash_locked(entry);
    m_entries.push_back(std::move(entry));
    evict_locked();
}

void FlightRecorder::keep_for_crash_locked(const FlightEntry& entry) {
    m_crash_line.clear();
    with_record(entry, [&](const LogRecord& record) { append_json_line(m_crash_line, record); });
    if (m_crash->push(m_crash_line)) return;
    // Too long for a slot: the start of the message (JSON escaping grows a byte to at most
    // six), cut on a UTF-8 boundary, and a mark instead of the fields.
    const std::size_t room = m_crash->slot_bytes() > 256 ? (m_crash->slot_bytes() - 256) / 6 : 0;
    std::size_t cut = std::min(room, entry.message.size());
    while (cut > 0 && cut < entry.message.size() &&
           (static_cast<u8>(entry.message[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    std::vector<Field> mark{Field("truncated", true)};
    const LogRecord shortened{entry.timestamp_ns,
                              entry.severity,
                              Category(entry.category, entry.category_detail),
                              entry.pid,
                              std::string_view(entry.message).substr(0, cut),
                              mark};
    m_crash_line.clear();
    append_json_line(m_crash_line, shortened);
    (void)m_crash->push(m_crash_line);  // A detail too long for a slot: left out.
}

void FlightRecorder::evict_locked() {
    // The ring drops the oldest entries until both bounds hold again. One entry larger than
    // the whole byte budget is dropped too: the bound is a promise.
    while (!m_entries.empty() &&
           (m_entries.size() > m_config.max_entries || m_bytes > m_config.max_bytes)) {
        m_bytes -= m_entries.front().bytes;
        m_entries.pop_front();
        ++m_evicted;
    }
}

std::vector<FlightEntry> FlightRecorder::snapshot(const FlightFilter& filter) const {
    std::lock_guard lock(m_mutex);
    std::vector<FlightEntry> selected;
    for (const FlightEntry& entry : m_entries) {
        if (filter.matches(entry)) selected.push_back(entry);
    }
    return selected;
}

std::size_t FlightRecorder::size() const {
    std::lock_guard lock(m_mutex);
    return m_entries.size();
}

std::size_t FlightRecorder::memory_used() const {
    std::lock_guard lock(m_mutex);
    return m_bytes;
}

u64 FlightRecorder::evicted() const {
    std::lock_guard lock(m_mutex);
    return m_evicted;
}

void FlightRecorder::export_to(std::string& out, FlightExportFormat format,
                               const FlightFilter& filter) const {
    const std::vector<FlightEntry> entries = snapshot(filter);
    if (format == FlightExportFormat::Binary) {
        out.append(kBinaryMagic, sizeof kBinaryMagic);
        for (int i = 0; i < 4; ++i)
            out.push_back(static_cast<char>(kFlightBinaryVersion >> (8 * i)));
        std::vector<u8> body;
        for (const FlightEntry& entry : entries) {
            body.clear();
            encode_value(entry_to_value(entry), body);
            const u32 length = static_cast<u32>(body.size());
            for (int i = 0; i < 4; ++i)
                out.push_back(static_cast<char>(length >> (8 * i)));
            out.append(reinterpret_cast<const char*>(body.data()), body.size());
        }
        return;
    }
    for (const FlightEntry& entry : entries) {
        with_record(entry, [&](const LogRecord& record) {
            append_record(out, record,
                          format == FlightExportFormat::JsonLines ? LogFormat::JsonLines
                                                                  : LogFormat::Console);
        });
    }
}

Result<void> FlightRecorder::dump(const std::string& path, FlightExportFormat format) const {
    std::string data;
    export_to(data, format);
    const std::string temporary = path + ".tmp";
    std::filesystem::remove(temporary);
    {
        UniqueFd fd = ESTA_TRY(open_append(temporary, 0640));
        ESTA_TRY(
            write_all(fd.get(), ByteSpan(reinterpret_cast<const u8*>(data.data()), data.size())));
        ESTA_TRY(sync_file(fd.get()));
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) return Err(Status::IoError, "flight.rename");
    return Ok();
}

Result<bool> FlightRecorder::persist_if_due(const std::string& path, FlightExportFormat format) {
    const i64 now = m_clock.now_ns();
    {
        std::lock_guard lock(m_mutex);
        if (now - m_last_persist_ns < m_config.persist_interval_ns) return false;
        m_last_persist_ns = now;
    }
    ESTA_TRY(dump(path, format));
    return true;
}

Result<std::vector<FlightEntry>> read_flight_binary(ByteSpan bytes) {
    if (bytes.size() < 12 || std::memcmp(bytes.data(), kBinaryMagic, 8) != 0) {
        return Err(Status::Malformed, "flight.magic");
    }
    ByteReader reader(bytes.subspan(8));
    const u32 version = ESTA_TRY(reader.read_u32_le());
    if (version == 0 || version > kFlightBinaryVersion) {
        return Err(Status::NotSupported, "flight.version",
                   {.limit = kFlightBinaryVersion, .actual = version});
    }
    std::vector<FlightEntry> entries;
    while (!reader.at_end()) {
        const u32 length = ESTA_TRY(reader.read_u32_le());
        const ByteSpan body = ESTA_TRY(reader.read_bytes(length));
        entries.push_back(ESTA_TRY(entry_from_value(ESTA_TRY(decode_value(body)))));
    }
    return entries;
}

}  // namespace esta::observe
