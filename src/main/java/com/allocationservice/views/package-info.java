/** The read side (CQRS): plain SQL over the write tables, returning records. */
package com.allocationservice.views;
