/** The composition root: the one place that names concrete adapters and wires them to the bus and the entrypoints. */
package com.allocationservice.bootstrap;
