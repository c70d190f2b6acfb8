#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace loom::tok {

namespace {

bool stands_for_itself(int byte) {
    return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
}

struct Alphabet {
    std::array<std::string, 256> character_of_byte;  // UTF-8
    std::array<int16_t, 324> byte_of_character;      // indexed by code point (all are below U+0144); -1: none

    Alphabet() {
        byte_of_character.fill(-1);
        char32_t next_stand_in = 0x100;
        for (int byte = 0; byte < 256; ++byte) {
            const char32_t character =
                stands_for_itself(byte) ? static_cast<char32_t>(byte) : next_stand_in++;
            append_utf8(character_of_byte[byte], character);
            byte_of_character[character] = static_cast<int16_t>(byte);
        }
    }
};

const Alphabet& alphabet() {
    static const Alphabet table;  // built once, thread-safely, and never changed
    return table;
}

}  // namespace

std::string to_byte_level(std::string_view bytes) {
    const Alphabet& table = alphabet();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char byte : bytes)
        out += table.character_of_byte[static_cast<unsigned char>(byte)];
    return out;
}

bool append_byte_of(char32_t character, std::string& out) {
    const Alphabet& table = alphabet();
    if (character >= table.byte_of_character.size() || table.byte_of_character[character] < 0) return false;
    out += static_cast<char>(table.byte_of_character[character]);
    return true;
}

}  // namespace loom::tok
