/** Typed settings read from the environment, checked before anything starts. */
package com.allocationservice.config;
