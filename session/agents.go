package session

// FromAgents is the load agents' events (a load sent by agents on other
// machines): an agent lost mid-run (AgentLost), its message saying when
// and why, its title the agent ("agent 1 lost").
const FromAgents Source = "agents"

// AgentLost is the kind of the event of an agent lost mid-run.
const AgentLost = "agent-lost"
