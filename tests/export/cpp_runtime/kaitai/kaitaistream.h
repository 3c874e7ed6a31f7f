// mckm's own minimal implementation of kaitai::kstream, the stream the generated parsers read:
// big-endian unsigned integers, big-endian bit fields, byte arrays, position and end of stream.
// Written from the documented Kaitai Struct C++/STL runtime API; reads past the end throw
// kaitai::end_of_stream_error naming the position and the size wanted.
#ifndef KAITAI_STREAM_H
#define KAITAI_STREAM_H

#include <stdint.h>

#include <istream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>

namespace kaitai {

class end_of_stream_error : public std::runtime_error {
public:
    end_of_stream_error(uint64_t pos, uint64_t wanted, uint64_t size)
        : std::runtime_error(describe(pos, wanted, size)) {}

private:
    static std::string describe(uint64_t pos, uint64_t wanted, uint64_t size) {
        std::ostringstream out;
        out << "end of stream: " << wanted << " octets wanted at offset " << pos
            << ", stream has " << size;
        return out.str();
    }
};

class kstream {
public:
    // The whole of `io` is read into memory (MIKEY messages are at most 64 KiB).
    explicit kstream(std::istream* io)
        : m_data(std::istreambuf_iterator<char>(*io), std::istreambuf_iterator<char>()),
          m_pos(0), m_bits(0), m_bits_left(0) {}
    explicit kstream(const std::string& data)
        : m_data(data), m_pos(0), m_bits(0), m_bits_left(0) {}

    bool is_eof() const { return m_bits_left == 0 && m_pos >= m_data.size(); }
    uint64_t pos() const { return m_pos; }
    uint64_t size() const { return m_data.size(); }
    void seek(uint64_t pos) {
        if (pos > m_data.size()) throw end_of_stream_error(pos, 0, m_data.size());
        m_pos = pos;
        align_to_byte();
    }

    uint8_t read_u1() { return static_cast<uint8_t>(take(1)[0]); }
    uint16_t read_u2be() { return static_cast<uint16_t>(read_be(2)); }
    uint32_t read_u4be() { return static_cast<uint32_t>(read_be(4)); }
    uint64_t read_u8be() { return read_be(8); }

    // n bits, most significant first, continuing in the current octet (0 < n <= 64).
    uint64_t read_bits_int_be(int n) {
        uint64_t out = 0;
        for (int i = 0; i < n; i++) {
            if (m_bits_left == 0) {
                m_bits = read_u1();
                m_bits_left = 8;
            }
            m_bits_left--;
            out = (out << 1) | ((m_bits >> m_bits_left) & 1u);
        }
        return out;
    }
    void align_to_byte() { m_bits_left = 0; m_bits = 0; }

    std::string read_bytes(std::streamsize len) {
        if (len < 0) throw std::invalid_argument("read_bytes: negative length");
        return std::string(take(static_cast<uint64_t>(len)), static_cast<size_t>(len));
    }
    std::string read_bytes_full() {
        std::string out = m_data.substr(m_pos);
        m_pos = m_data.size();
        return out;
    }

private:
    const char* take(uint64_t len) {
        if (len > m_data.size() - m_pos) throw end_of_stream_error(m_pos, len, m_data.size());
        const char* at = m_data.data() + m_pos;
        m_pos += len;
        return at;
    }
    uint64_t read_be(int octets) {
        const char* at = take(static_cast<uint64_t>(octets));
        uint64_t out = 0;
        for (int i = 0; i < octets; i++) out = (out << 8) | static_cast<uint8_t>(at[i]);
        return out;
    }

    std::string m_data;
    uint64_t m_pos;
    uint8_t m_bits;
    int m_bits_left;
};

}  // namespace kaitai

#endif
