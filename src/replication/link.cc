#include "replication/link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "protocol/frame.h"

namespace esta::replication {

Result<void> send_message(Link& link, const Message& message) {
    std::vector<u8> bytes;
    encode(bytes, message);
    return link.send(ByteSpan(bytes.data(), bytes.size()));
}

// g++ 12 reports a variant alternative's field as maybe-uninitialized when the decoded
// message moves into the optional (a false positive; clang and the sanitizers agree).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
Result<std::optional<Message>> MessageReader::next(Link& link) {
    ESTA_TRY(link.receive(m_buffer));
    if (m_buffer.size() < protocol::kFrameHeaderBytes) return std::optional<Message>{};
    auto frame = protocol::decode_frame(ByteSpan(m_buffer.data(), m_buffer.size()));
    if (!frame) {
        const char* why = frame.error().context;
        if (std::strcmp(why, "frame.truncated_body") == 0) return std::optional<Message>{};
        return frame.error();
    }
    if (frame->kind != kReplicationFrame) return Err(Status::Malformed, "replication.frame_kind");
    Message message = ESTA_TRY(decode_body(frame->body));
    m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(frame->size));
    return std::optional<Message>(std::move(message));
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

class MemoryLink final : public Link {
  public:
    MemoryLink(std::shared_ptr<MemoryWire> wire, int side)
        : m_wire(std::move(wire)), m_side(side) {}
    ~MemoryLink() override { close(); }
    Result<void> send(ByteSpan bytes) override {
        if (m_wire->m_closed) return Err(Status::ShuttingDown, "link.send: closed");
        if (m_wire->m_blocked) return Ok();  // Lost in the partition.
        auto& queue = m_wire->m_queues[1 - m_side];
        queue.insert(queue.end(), bytes.begin(), bytes.end());
        return Ok();
    }
    Result<void> receive(std::vector<u8>& into) override {
        auto& queue = m_wire->m_queues[m_side];
        if (!m_wire->m_blocked) {
            into.insert(into.end(), queue.begin(), queue.end());
            queue.clear();
        }
        if (m_wire->m_closed && queue.empty())
            return Err(Status::ShuttingDown, "link.receive: closed");
        return Ok();
    }
    void close() override { m_wire->m_closed = true; }

  private:
    std::shared_ptr<MemoryWire> m_wire;
    int m_side;
};

std::pair<std::unique_ptr<Link>, std::unique_ptr<Link>> MemoryWire::pair(
    std::shared_ptr<MemoryWire>& wire) {
    wire = std::make_shared<MemoryWire>();
    return {std::make_unique<MemoryLink>(wire, 0), std::make_unique<MemoryLink>(wire, 1)};
}

namespace {

Error io_error(const char* context) {
    return Err(Status::IoError, context, Detail{.actual = static_cast<u64>(errno)});
}

void set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL, 0);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

struct Address {
    bool unix_socket = false;
    std::string host;
    std::string port;
    std::string path;
};

Result<Address> parse_address(const std::string& address) {
    Address parsed;
    if (address.starts_with("unix:")) {
        parsed.unix_socket = true;
        parsed.path = address.substr(5);
        if (parsed.path.empty() || parsed.path.size() >= sizeof(sockaddr_un::sun_path))
            return Err(Status::InvalidArgs, "replication.address: unix path");
        return parsed;
    }
    auto colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 == address.size())
        return Err(Status::InvalidArgs, "replication.address: HOST:PORT or unix:PATH");
    parsed.host = address.substr(0, colon);
    parsed.port = address.substr(colon + 1);
    return parsed;
}

sockaddr_un unix_address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());
    return address;
}

}  // namespace

SocketLink::SocketLink(int fd) : m_fd(fd) {
    set_nonblocking(fd);
}

SocketLink::~SocketLink() {
    close();
}

void SocketLink::close() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
}

Result<void> SocketLink::flush() {
    while (!m_outgoing.empty()) {
        ssize_t n = ::send(m_fd, m_outgoing.data(), m_outgoing.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Ok();
            return io_error("link.send");
        }
        m_outgoing.erase(m_outgoing.begin(), m_outgoing.begin() + n);
    }
    return Ok();
}

Result<void> SocketLink::send(ByteSpan bytes) {
    if (m_fd < 0) return Err(Status::ShuttingDown, "link.send: closed");
    m_outgoing.insert(m_outgoing.end(), bytes.begin(), bytes.end());
    return flush();
}

Result<void> SocketLink::receive(std::vector<u8>& into) {
    if (m_fd < 0) return Err(Status::ShuttingDown, "link.receive: closed");
    ESTA_TRY(flush());
    u8 buffer[64 * 1024];
    for (;;) {
        ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            into.insert(into.end(), buffer, buffer + n);
            continue;
        }
        if (n == 0) return Err(Status::ShuttingDown, "link.receive: peer closed");
        if (errno == EAGAIN || errno == EWOULDBLOCK) return Ok();
        if (errno == EINTR) continue;
        return io_error("link.receive");
    }
}

Result<std::unique_ptr<Link>> connect_to(const std::string& text) {
    Address address = ESTA_TRY(parse_address(text));
    if (address.unix_socket) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0) return io_error("link.connect: socket");
        sockaddr_un target = unix_address(address.path);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
            Error error = io_error("link.connect");
            ::close(fd);
            return error;
        }
        return std::unique_ptr<Link>(std::make_unique<SocketLink>(fd));
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(address.host.c_str(), address.port.c_str(), &hints, &found) != 0)
        return Err(Status::NotFound, "link.connect: address");
    int fd = -1;
    for (addrinfo* it = found; it != nullptr; it = it->ai_next) {
        fd = ::socket(it->ai_family, it->ai_socktype, it->ai_protocol);
        if (fd < 0) continue;
        if (::connect(fd, it->ai_addr, it->ai_addrlen) == 0) break;
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(found);
    if (fd < 0) return io_error("link.connect");
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return std::unique_ptr<Link>(std::make_unique<SocketLink>(fd));
}

Result<std::unique_ptr<Listener>> Listener::listen(const std::string& text) {
    Address address = ESTA_TRY(parse_address(text));
    int fd = -1;
    u16 port = 0;
    if (address.unix_socket) {
        fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0) return io_error("listen: socket");
        ::unlink(address.path.c_str());
        sockaddr_un local = unix_address(address.path);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
            Error error = io_error("listen: bind");
            ::close(fd);
            return error;
        }
    } else {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return io_error("listen: socket");
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_port = htons(static_cast<u16>(std::stoi(address.port)));
        if (::inet_pton(AF_INET, address.host.c_str(), &local.sin_addr) != 1) {
            ::close(fd);
            return Err(Status::InvalidArgs, "listen: IPv4 address");
        }
        if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
            Error error = io_error("listen: bind");
            ::close(fd);
            return error;
        }
        socklen_t length = sizeof local;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
        port = ntohs(local.sin_port);
    }
    if (::listen(fd, 8) != 0) {
        Error error = io_error("listen");
        ::close(fd);
        return error;
    }
    set_nonblocking(fd);
    return std::unique_ptr<Listener>(new Listener(fd, port, address.path));
}

Listener::~Listener() {
    ::close(m_fd);
    if (!m_path.empty()) ::unlink(m_path.c_str());
}

Result<std::unique_ptr<Link>> Listener::accept() {
    int fd = ::accept(m_fd, nullptr, nullptr);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return std::unique_ptr<Link>();
        return io_error("listen: accept");
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return std::unique_ptr<Link>(std::make_unique<SocketLink>(fd));
}

}  // namespace esta::replication
