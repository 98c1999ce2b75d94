package com.allocationservice.domain;

/** Anything the message bus handles: a command (do this) or an event (this happened). */
public sealed interface Message permits Command, Event {
}
