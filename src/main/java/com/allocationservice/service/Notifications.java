package com.allocationservice.service;

/** Tells people about things that happened (the book's chapter 13 port). */
public interface Notifications {
    void send(String destination, String message);
}
