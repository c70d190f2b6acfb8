// Sum and maximum over a work group of WORKGROUP_SIZE invocations (a power of two, defined before this is
// included). Every invocation gets the result. Must be called in uniform control flow (all invocations of
// the group, the same number of times).
//
// With USE_SUBGROUPS, each subgroup reduces in registers and one value per subgroup goes through shared
// memory; the subgroup size is whatever the device runs (gl_SubgroupSize, gl_NumSubgroups), never assumed.
// Without, a tree in shared memory.

shared float reduce_scratch[WORKGROUP_SIZE];

#ifdef USE_SUBGROUPS

float workgroup_sum(float value) {
    value = subgroupAdd(value);
    if (subgroupElect()) reduce_scratch[gl_SubgroupID] = value;
    barrier();
    float total = reduce_scratch[0];
    for (uint i = 1; i < gl_NumSubgroups; ++i) total += reduce_scratch[i];
    barrier();  // before the scratch is used again
    return total;
}

float workgroup_max(float value) {
    value = subgroupMax(value);
    if (subgroupElect()) reduce_scratch[gl_SubgroupID] = value;
    barrier();
    float result = reduce_scratch[0];
    for (uint i = 1; i < gl_NumSubgroups; ++i) result = max(result, reduce_scratch[i]);
    barrier();
    return result;
}

#else

float workgroup_sum(float value) {
    uint i = gl_LocalInvocationIndex;
    reduce_scratch[i] = value;
    barrier();
    for (uint half_size = WORKGROUP_SIZE / 2; half_size > 0; half_size /= 2) {
        if (i < half_size) reduce_scratch[i] += reduce_scratch[i + half_size];
        barrier();
    }
    float total = reduce_scratch[0];
    barrier();
    return total;
}

float workgroup_max(float value) {
    uint i = gl_LocalInvocationIndex;
    reduce_scratch[i] = value;
    barrier();
    for (uint half_size = WORKGROUP_SIZE / 2; half_size > 0; half_size /= 2) {
        if (i < half_size) reduce_scratch[i] = max(reduce_scratch[i], reduce_scratch[i + half_size]);
        barrier();
    }
    float result = reduce_scratch[0];
    barrier();
    return result;
}

#endif
