#include "http_json.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace syncmap::lab::peers {

http_connection::http_connection(std::string host, int port) : host_(std::move(host)), port_(port) {}

http_connection::~http_connection() {
    if (fd_ >= 0) ::close(fd_);
}

void http_connection::connect() {
    if (fd_ >= 0) return;
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    ::inet_pton(AF_INET, host_.c_str(), &a.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("connect " + host_ + ":" + std::to_string(port_) + ": " + why);
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    buffer_.clear();
}

std::string http_connection::request(const std::string& head, const std::string& body, int* status) {
    connect();
    const std::string msg = head + "Host: " + host_ + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    for (std::size_t sent = 0; sent < msg.size();) {
        const ssize_t n = ::send(fd_, msg.data() + sent, msg.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            ::close(fd_);
            fd_ = -1;
            throw std::runtime_error("http: send failed");
        }
        sent += static_cast<std::size_t>(n);
    }
    auto fill = [&] {
        char buf[65536];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) {
            ::close(fd_);
            fd_ = -1;
            throw std::runtime_error("http: connection closed");
        }
        buffer_.append(buf, static_cast<std::size_t>(n));
    };
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
    const std::string headers = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    *status = std::atoi(headers.c_str() + headers.find(' ') + 1);
    std::string lower = headers;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string out;
    if (const auto cl = lower.find("content-length:"); cl != std::string::npos) {
        const std::size_t len = std::strtoull(headers.c_str() + cl + 15, nullptr, 10);
        while (buffer_.size() < len) fill();
        out = buffer_.substr(0, len);
        buffer_.erase(0, len);
    } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
        for (;;) {
            std::size_t eol;
            while ((eol = buffer_.find("\r\n")) == std::string::npos) fill();
            const std::size_t len = std::strtoull(buffer_.c_str(), nullptr, 16);
            while (buffer_.size() < eol + 2 + len + 2) fill();
            out.append(buffer_, eol + 2, len);
            buffer_.erase(0, eol + 2 + len + 2);
            if (len == 0) break;
        }
    } else {
        throw std::runtime_error("http: a response without a length");
    }
    return out;
}

std::string http_connection::post(const std::string& path, const std::string& body) {
    int status = 0;
    std::string out = request("POST " + path + " HTTP/1.1\r\nContent-Type: application/json\r\n", body, &status);
    if (status != 200) throw std::runtime_error("http " + std::to_string(status) + " from " + path + ": " + out.substr(0, 300));
    return out;
}

std::string http_connection::get(const std::string& path) {
    int status = 0;
    try {
        return request("GET " + path + " HTTP/1.1\r\n", "", &status);
    } catch (const std::runtime_error&) {
        return {};
    }
}

namespace {

struct json_reader {
    std::string_view s;
    std::size_t i = 0;

    [[noreturn]] void fail(const char* what) const {
        throw std::runtime_error(std::string("json: ") + what + " at offset " + std::to_string(i));
    }
    void space() {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
    }
    char peek() {
        space();
        if (i >= s.size()) fail("unexpected end");
        return s[i];
    }
    void expect(char c) {
        if (peek() != c) fail("unexpected character");
        ++i;
    }
    std::string string() {
        expect('"');
        std::string out;
        while (i < s.size() && s[i] != '"') {
            if (s[i] == '\\') {
                ++i;
                if (i >= s.size()) fail("bad escape");
                const char e = s[i];
                if (e == 'u') {
                    // etcd's replies carry base64 and digits only; other text is kept as ASCII.
                    if (i + 4 >= s.size()) fail("bad \\u escape");
                    out += static_cast<char>(std::strtol(std::string(s.substr(i + 1, 4)).c_str(), nullptr, 16) & 0x7f);
                    i += 4;
                } else {
                    out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
                }
            } else {
                out += s[i];
            }
            ++i;
        }
        if (i >= s.size()) fail("unterminated string");
        ++i;
        return out;
    }
    json_value value() {
        json_value v;
        const char c = peek();
        if (c == '{') {
            ++i;
            v.t = json_value::type::object;
            if (peek() == '}') {
                ++i;
                return v;
            }
            for (;;) {
                std::string name = string();
                expect(':');
                v.fields[name] = value();
                if (peek() == ',') {
                    ++i;
                    continue;
                }
                expect('}');
                return v;
            }
        }
        if (c == '[') {
            ++i;
            v.t = json_value::type::array;
            if (peek() == ']') {
                ++i;
                return v;
            }
            for (;;) {
                v.items.push_back(value());
                if (peek() == ',') {
                    ++i;
                    continue;
                }
                expect(']');
                return v;
            }
        }
        if (c == '"') {
            v.t = json_value::type::string;
            v.text = string();
            return v;
        }
        if (s.substr(i, 4) == "true") {
            i += 4;
            v.t = json_value::type::boolean;
            v.b = true;
            return v;
        }
        if (s.substr(i, 5) == "false") {
            i += 5;
            v.t = json_value::type::boolean;
            return v;
        }
        if (s.substr(i, 4) == "null") {
            i += 4;
            return v;
        }
        const std::size_t start = i;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-' || s[i] == '+' || s[i] == '.' ||
                                s[i] == 'e' || s[i] == 'E'))
            ++i;
        if (i == start) fail("unexpected character");
        v.t = json_value::type::number;
        v.text = std::string(s.substr(start, i - start));
        return v;
    }
};

}  // namespace

const json_value& json_value::operator[](const std::string& name) const {
    static const json_value null_value;
    const auto it = fields.find(name);
    return it == fields.end() ? null_value : it->second;
}

std::uint64_t json_value::as_u64() const {
    if (t == type::null) return 0;
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || p != text.data() + text.size()) throw std::runtime_error("json: not an unsigned number: " + text);
    return v;
}

json_value parse_json(std::string_view text) {
    json_reader r{text};
    json_value v = r.value();
    r.space();
    if (r.i != text.size()) r.fail("text after the value");
    return v;
}

namespace {
constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(std::string_view in) {
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned n = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                           static_cast<unsigned char>(in[i + 2]);
        for (int k = 18; k >= 0; k -= 6) out += alphabet[(n >> k) & 63];
    }
    if (i + 1 == in.size()) {
        const unsigned n = static_cast<unsigned char>(in[i]) << 16;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const unsigned n = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string base64_decode(std::string_view in) {
    std::string out;
    unsigned n = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        const char* p = std::strchr(alphabet, c);
        if (!p || c == '\0') throw std::runtime_error("base64: bad character");
        n = n << 6 | static_cast<unsigned>(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((n >> bits) & 0xff);
        }
    }
    return out;
}

}  // namespace syncmap::lab::peers
