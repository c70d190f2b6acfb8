#version 450
// The memory-bandwidth probe of benchmarks (Backend::measure_memory_bandwidth): reads a buffer far larger
// than the GPU's caches, 16 bytes per load, as decode reads its weights. What it reads is folded into one
// word per invocation and written, so that the compiler cannot drop the loads.
//
// Bindings: 0 the buffer (uvec4s), 1 one word per invocation of the dispatch.
layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer Data { uvec4 D[]; };
layout(std430, binding = 1) writeonly buffer Folded { uint F[]; };

layout(push_constant) uniform Push {
    uint count;  // uvec4s in the buffer
} p;

void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uvec4 folded = uvec4(0);
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) folded ^= D[i];
    F[gl_GlobalInvocationID.x] = folded.x ^ folded.y ^ folded.z ^ folded.w;
}
