#include "gpu/spirv_interface.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "util/error.h"

namespace loom::gpu {

namespace {

// Opcodes, decorations and storage classes from the SPIR-V specification.
constexpr uint32_t kMagic = 0x07230203;
constexpr uint32_t kOpTypeInt = 21, kOpTypeFloat = 22, kOpTypeStruct = 30, kOpTypePointer = 32,
                   kOpVariable = 59, kOpDecorate = 71, kOpMemberDecorate = 72;
constexpr uint32_t kDecorationBinding = 33, kDecorationDescriptorSet = 34, kDecorationOffset = 35;
constexpr uint32_t kStorageClassPushConstant = 9;

}  // namespace

ShaderInterface read_shader_interface(std::span<const uint32_t> words, std::string_view shader) {
    if (words.size() < 5 || words[0] != kMagic) fail("shader ", shader, " is not SPIR-V");

    std::set<uint32_t> bindings;
    std::map<uint32_t, uint32_t> scalar_bytes;          // type id -> size, for int and float types
    std::map<uint32_t, std::vector<uint32_t>> structs;  // struct id -> member type ids
    std::map<uint32_t, std::map<uint32_t, uint32_t>> member_offsets;  // struct id -> member -> offset
    std::map<uint32_t, uint32_t> push_pointers;  // pointer type id -> pointee, PushConstant only
    uint32_t push_block = 0;

    for (size_t at = 5; at < words.size();) {
        uint32_t count = words[at] >> 16, opcode = words[at] & 0xffffu;
        if (count == 0 || at + count > words.size()) fail("shader ", shader, " has a truncated instruction");
        std::span<const uint32_t> op = words.subspan(at + 1, count - 1);
        switch (opcode) {
            case kOpTypeInt:
            case kOpTypeFloat:
                scalar_bytes[op[0]] = op[1] / 8;
                break;
            case kOpTypeStruct:
                structs[op[0]].assign(op.begin() + 1, op.end());
                break;
            case kOpTypePointer:
                if (op[1] == kStorageClassPushConstant) push_pointers[op[0]] = op[2];
                break;
            case kOpVariable:
                if (op[2] == kStorageClassPushConstant) push_block = push_pointers[op[0]];
                break;
            case kOpDecorate:
                if (op[1] == kDecorationBinding) bindings.insert(op[2]);
                if (op[1] == kDecorationDescriptorSet && op[2] != 0)
                    fail("shader ", shader, " uses descriptor set ", op[2],
                         "; Loom's kernels use set 0 only");
                break;
            case kOpMemberDecorate:
                if (op[2] == kDecorationOffset) member_offsets[op[0]][op[1]] = op[3];
                break;
            default:
                break;
        }
        at += count;
    }

    ShaderInterface result;
    result.bindings = static_cast<uint32_t>(bindings.size());
    if (!bindings.empty() && *bindings.rbegin() != result.bindings - 1)
        fail("shader ", shader, " leaves gaps between its bindings");
    if (push_block != 0) {
        const std::vector<uint32_t>& members = structs[push_block];
        for (uint32_t m = 0; m < members.size(); ++m) {
            auto size = scalar_bytes.find(members[m]);
            if (size == scalar_bytes.end() || size->second != 4)
                fail("shader ", shader, ": push constant member ", m, " is not a 32-bit scalar");
            result.push_constant_bytes =
                std::max(result.push_constant_bytes, member_offsets[push_block][m] + 4);
        }
    }
    return result;
}

}  // namespace loom::gpu
