package com.allocationservice.domain;

/** A message that crosses the service's edge: a command (do this) comes in, an event (this happened) goes out. */
public sealed interface Message permits Command, Event {
}
