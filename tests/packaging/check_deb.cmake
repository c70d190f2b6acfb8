# cmake -DBUILD_DIR=... -DWORK_DIR=... -P check_deb.cmake
# Builds the .deb as a release would (cpack -G DEB) and checks what it installs and what it depends on.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND cpack -G DEB --config ${BUILD_DIR}/CPackConfig.cmake -B ${WORK_DIR}
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "cpack -G DEB failed:\n${output}\n${errors}")
endif()
file(GLOB debs ${WORK_DIR}/*.deb)
list(LENGTH debs count)
if(NOT count EQUAL 1)
    message(FATAL_ERROR "expected one .deb in ${WORK_DIR}, found: ${debs}")
endif()

execute_process(COMMAND dpkg-deb --field ${debs} Package Depends OUTPUT_VARIABLE fields RESULT_VARIABLE result)
# Linked libraries (found by dpkg-shlibdeps) and what Qt loads at run time (declared by packaging/).
foreach(dependency libqt6widgets6 libqt6webenginewidgets6 libqt6sql6 libqt6sql6-sqlite qt6-qpa-plugins
                   libqt6webenginecore6-bin libc6 libstdc\\+\\+6)
    if(NOT fields MATCHES "[ ,]${dependency}[ ,(\n]")
        message(FATAL_ERROR "the package does not depend on ${dependency}:\n${fields}")
    endif()
endforeach()

execute_process(COMMAND dpkg-deb --contents ${debs} OUTPUT_VARIABLE contents RESULT_VARIABLE result)
foreach(file ./usr/bin/loom ./usr/bin/loom-cli ./usr/share/applications/dev.loom.Loom.desktop
             ./usr/share/metainfo/dev.loom.Loom.metainfo.xml ./usr/share/icons/hicolor/scalable/apps/dev.loom.Loom.svg
             ./usr/share/loom/models/stories260K/model.safetensors)
    string(FIND "${contents}" "${file}" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "the package does not contain ${file}")
    endif()
endforeach()
message(STATUS "built ${debs}:\n${fields}")
