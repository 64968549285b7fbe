// Link: one end of a replication connection, carrying whole frames (messages.h). Two
// kinds: a socket (TCP or a Unix socket, non-blocking) for real nodes, and an in-memory
// pair whose traffic a test can block (a partition) for deterministic protocol tests.
// poll-style: send() never blocks, receive() returns what has arrived.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "replication/messages.h"

namespace esta::replication {

class Link {
  public:
    virtual ~Link() = default;
    // Queues bytes for the peer. ShuttingDown once the link is closed.
    virtual Result<void> send(ByteSpan bytes) = 0;
    // Appends the bytes that arrived to `into`. ShuttingDown once the peer closed.
    virtual Result<void> receive(std::vector<u8>& into) = 0;
    virtual void close() = 0;
};

// Sends one message over `link`.
Result<void> send_message(Link& link, const Message& message);

// Cuts whole frames out of a byte stream. A frame that fails its checks (checksum, kind,
// body) is an error: the connection is not trusted any further.
class MessageReader {
  public:
    // Reads what arrived on `link`; the next complete message, or nullopt.
    Result<std::optional<Message>> next(Link& link);

  private:
    std::vector<u8> m_buffer;
};

// An in-memory connection: both ends share the queues. block() drops everything sent in
// either direction until unblock() (a partition: the link looks open but nothing arrives).
class MemoryWire {
  public:
    static std::pair<std::unique_ptr<Link>, std::unique_ptr<Link>> pair(
        std::shared_ptr<MemoryWire>& wire);
    void block() { m_blocked = true; }
    void unblock() { m_blocked = false; }
    bool blocked() const { return m_blocked; }

  private:
    friend class MemoryLink;
    std::deque<u8> m_queues[2];
    bool m_closed = false;
    bool m_blocked = false;
};

// A connected socket (TCP or Unix), set non-blocking; owns the descriptor.
class SocketLink final : public Link {
  public:
    explicit SocketLink(int fd);
    ~SocketLink() override;
    SocketLink(const SocketLink&) = delete;
    SocketLink& operator=(const SocketLink&) = delete;

    Result<void> send(ByteSpan bytes) override;
    Result<void> receive(std::vector<u8>& into) override;
    void close() override;

  private:
    Result<void> flush();
    int m_fd;
    std::vector<u8> m_outgoing;  // What the socket did not take yet.
};

// "HOST:PORT" for TCP or "unix:PATH".
Result<std::unique_ptr<Link>> connect_to(const std::string& address);

// Listens on "HOST:PORT" or "unix:PATH"; accept() is non-blocking (nullopt when nobody waits).
class Listener {
  public:
    static Result<std::unique_ptr<Listener>> listen(const std::string& address);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    Result<std::unique_ptr<Link>> accept();  // Empty when no connection waits.
    u16 port() const { return m_port; }      // The bound TCP port (0 for Unix).

  private:
    Listener(int fd, u16 port, std::string path)
        : m_fd(fd), m_port(port), m_path(std::move(path)) {}
    int m_fd;
    u16 m_port;
    std::string m_path;
};

}  // namespace esta::replication
