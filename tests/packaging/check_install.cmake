# cmake -DBUILD_DIR=... -DWORK_DIR=... -DWITH_APP=ON|OFF -P check_install.cmake
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/usr)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                RESULT_VARIABLE result OUTPUT_QUIET ERROR_VARIABLE errors)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "cmake --install failed: ${errors}")
endif()

set(expected
    bin/loom-cli
    share/loom/models/stories260K/config.json
    share/loom/models/stories260K/model.safetensors
    share/loom/models/stories260K/tokenizer.json
    share/loom/models/stories260K/LICENSE)
if(WITH_APP)
    list(APPEND expected
        bin/loom
        share/applications/dev.loom.Loom.desktop
        share/metainfo/dev.loom.Loom.metainfo.xml
        share/icons/hicolor/scalable/apps/dev.loom.Loom.svg
        share/icons/hicolor/48x48/apps/dev.loom.Loom.png
        share/icons/hicolor/256x256/apps/dev.loom.Loom.png)
endif()
foreach(file IN LISTS expected)
    if(NOT EXISTS ${prefix}/${file})
        message(FATAL_ERROR "cmake --install did not install ${file}")
    endif()
endforeach()

# The installed engine finds the installed built-in model (<prefix>/share/loom/models), not the source tree's.
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=LOOM_BUILTIN_MODEL
                        ${prefix}/bin/loom-cli inspect
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors)
if(NOT result EQUAL 0 OR NOT output MATCHES "${prefix}/share/loom/models/stories260K")
    message(FATAL_ERROR "the installed loom-cli did not use the installed built-in model:\n${output}\n${errors}")
endif()
if(WITH_APP)
    execute_process(COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen ${prefix}/bin/loom --version
                    RESULT_VARIABLE result OUTPUT_VARIABLE output
                    ERROR_VARIABLE errors)
    if(NOT result EQUAL 0 OR NOT output MATCHES "loom")
        message(FATAL_ERROR "the installed loom does not start: ${output}${errors}")
    endif()
endif()
message(STATUS "installed and checked under ${prefix}")
